"""ClickHouse store locations: URL parsing, credentials, and one-line errors for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from agentotel import query
from agentotel.store.clickhouse_client import error_for
from agentotel.store.clickhouse_target import display, is_clickhouse, parse
from agentotel.store.errors import QueryTimeout
from agentotel.store.factory import store_location
from agentotel.store.settings import default_location
from tests.store.clickhouse.helpers import build_sqlite, run, write_otlp


def test_defaults_and_options() -> None:
    t = parse("clickhouse://ch.example", env={})
    assert (t.kind, t.host, t.port, t.database, t.table, t.secure) == (
        "http", "ch.example", 8123, "otel", "otel_traces", False,
    )  # fmt: skip
    t = parse("clickhouse://ch.example?secure=true", env={})
    assert (t.port, t.secure) == (8443, True)
    t = parse("clickhouse://u:p%40ss@ch.example:9000/traces?table=spans&secure=1", env={})
    assert (t.user, t.password, t.port, t.database, t.table) == ("u", "p@ss", 9000, "traces",
                                                                 "spans")  # fmt: skip
    t = parse("chdb:./data/ch?database=legacy", env={})
    assert t.kind == "chdb" and t.path == Path("data/ch") and t.database == "legacy"


def test_credentials_from_the_environment_and_never_shown() -> None:
    env = {"CLICKHOUSE_USER": "reader", "CLICKHOUSE_PASSWORD": "s3cret"}
    t = parse("clickhouse://ch.example", env=env)
    assert (t.user, t.password) == ("reader", "s3cret")
    assert parse("clickhouse://me:mine@ch.example", env=env).password == "mine"
    assert "s3cret" not in t.display() and "s3cret" not in repr(t)
    assert (
        display("clickhouse://u:hunter2@ch.example/otel")
        == "clickhouse://u:***@ch.example:8123/otel"
    )
    exc = error_for(RuntimeError("Code: 516. DB::Exception: u: Authentication failed: hunter2"), t)
    assert "refused the credentials" in str(exc) and "s3cret" not in str(exc)


@pytest.mark.parametrize(
    "bad",
    [
        "clickhouse://",
        "clickhouse://u:hunter2@:8123",
        "clickhouse://u:hunter2@host:notaport",
        "clickhouse://host/a/b",
        "clickhouse://host?tabel=x",
        "clickhouse://host?table=x;drop",
        "clickhouse://host?secure=maybe",
        "chdb:",
    ],
)
def test_bad_urls_are_value_errors_without_the_password(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        parse(bad, env={})
    assert "hunter2" not in str(info.value)
    code, _, err = run("traces", "--store", bad)
    assert code == 2 and len(err.splitlines()) == 1 and "hunter2" not in err


def test_locations_are_recognised() -> None:
    assert is_clickhouse("clickhouse://h") and is_clickhouse("CHDB:/x")
    assert not is_clickhouse("traces.db") and not is_clickhouse(Path("chdb:x"))
    assert store_location("clickhouse://h") == "clickhouse://h"
    assert store_location("t.db") == Path("t.db")
    assert default_location({"AGENTOTEL_STORE": "chdb:/srv/ch"}) == "chdb:/srv/ch"
    assert error_for(RuntimeError("Code: 159. Timeout exceeded"), parse("chdb:/x")).__class__ is (
        QueryTimeout
    )


def test_unreachable_server_is_one_line_without_the_password() -> None:
    code, _, err = run("traces", "--store", "clickhouse://u:hunter2@127.0.0.1:1/otel")
    assert code == 1 and len(err.splitlines()) == 1, err
    assert "cannot reach ClickHouse" in err and "hunter2" not in err and "u:***@" in err


def test_missing_and_foreign_tables(tmp_path: Path) -> None:
    pytest.importorskip("chdb")
    code, _, err = run("traces", "--store", f"chdb:{tmp_path / 'empty'}")
    assert code == 1 and "no table otel.otel_traces" in err and len(err.splitlines()) == 1
    from agentotel.store.clickhouse_client import ChdbClient

    client = ChdbClient(parse(f"chdb:{tmp_path / 'other'}"))
    client.query("CREATE DATABASE IF NOT EXISTS otel")
    client.query("CREATE TABLE otel.otel_traces (a Int8) ENGINE = MergeTree ORDER BY a")
    client.close()
    code, _, err = run("spans", "--store", f"chdb:{tmp_path / 'other'}")
    assert code == 1 and "not the Collector's otel_traces schema" in err
    assert len(err.splitlines()) == 1
    (tmp_path / "file").write_text("x")
    code, _, err = run("traces", "--store", f"chdb:{tmp_path / 'file'}")
    assert code == 1 and "not a directory" in err


def test_chdb_directory_held_by_another_process(tmp_path: Path) -> None:
    pytest.importorskip("chdb")
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, chdb
            conn = chdb.connect({str(tmp_path / 'ch')!r})
            print("ready", flush=True)
            sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        done = subprocess.run(
            [sys.executable, "-m", "agentotel.cli", "traces", "--store", f"chdb:{tmp_path / 'ch'}"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 1 and len(done.stderr.splitlines()) == 1, done.stderr
        assert "in use by another process" in done.stderr
    finally:
        holder.communicate("", timeout=60)


def test_store_from_the_environment_and_query_open(tmp_path: Path) -> None:
    pytest.importorskip("chdb")
    info = build_sqlite(tmp_path / "t.db")
    location = f"chdb:{tmp_path / 'ch'}"
    code, _, err = run("import", "--store", location, str(write_otlp(info["spans"],
                                                                     tmp_path / "a.json")))  # fmt: skip
    assert code == 0, err
    done = subprocess.run(
        [sys.executable, "-m", "agentotel.cli", "traces", "--json"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "AGENTOTEL_STORE": location},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["traces"]) == len(info["ids"])
    with query.open(location) as q:
        assert q.trace(info["ids"][0]).summary.trace_id == info["ids"][0]


def test_a_real_server(tmp_path: Path) -> None:
    url = os.environ.get("AGENTOTEL_TEST_CLICKHOUSE_URL")
    if not url:
        pytest.skip(
            "AGENTOTEL_TEST_CLICKHOUSE_URL is unset (a ClickHouse server >= 23.x; Debian's "
            "clickhouse-server 18.16 cannot create the Collector's schema)"
        )
    pytest.importorskip("clickhouse_connect")
    info = build_sqlite(tmp_path / "t.db")
    code, _, err = run(
        "import", "--store", url, str(write_otlp(info["spans"], tmp_path / "a.json"))
    )
    assert code == 0, err
    for args in (["traces", "--limit", "1000"], ["stats", "--by", "model"]):
        want = run(*args, "--json", "--store", str(tmp_path / "t.db"))
        got = run(*args, "--json", "--store", url)
        assert got[0] == 0, got[2]
        expected: Any = json.loads(want[1])
        actual = json.loads(got[1])
        if args[0] == "traces":  # the server may hold other traces too
            mine = set(info["ids"])
            actual["traces"] = [t for t in actual["traces"] if t["trace_id"] in mine]
            assert actual == expected
    code, _, err = run("sql", "--store", url, "DROP TABLE otel_traces")
    assert code == 2


def test_suggested_indexes_are_printed_and_valid(tmp_path: Path) -> None:
    pytest.importorskip("chdb")
    location = f"chdb:{tmp_path / 'ch'}"
    code, out, err = run("clickhouse", "--suggest-indexes", "--store", location, "--json")
    assert code == 0, err
    statements = json.loads(out)["statements"]
    assert statements and all(s.startswith("ALTER TABLE otel.otel_traces") for s in statements)
    code, _, err = run("clickhouse", "--suggest-indexes", "--store", str(tmp_path / "t.db"))
    assert code == 2 and len(err.splitlines()) == 1
    from agentotel.store.clickhouse import ClickHouseStore

    store = ClickHouseStore(parse(location), readonly=False)  # creates the Collector's table
    try:
        assert store._client is not None
        columns = len(store._q("SELECT name FROM system.data_skipping_indices"))
        for statement in statements:  # the user's choice; here only to prove they are valid
            store._client.query(statement.rstrip(";"))
        assert len(store._q("SELECT name FROM system.data_skipping_indices")) == columns + 4
    finally:
        store.close()


def test_a_clickhouse_store_in_the_environment_records_nothing_locally() -> None:
    from agentotel.store.settings import default_path, store_enabled

    env = {"AGENTOTEL_STORE": "clickhouse://u:p@ch.example/otel"}
    assert not store_enabled(env)
    assert default_path(env, cwd="/w") == Path("/w/.agentotel/traces.db")
