"""Every read command answers the same from ClickHouse (chdb, the real engine) as from SQLite.

The same spans go into a SQLite store, into the Collector's current ``otel_traces``
table through ``agentotel import``, and into a table of the exporter's older shape
as rows written the way it wrote them; each command's ``--json`` output must match.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.store.clickhouse.helpers import build_sqlite, run, write_legacy_rows, write_otlp

pytest.importorskip("chdb")


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("ch")
    info = build_sqlite(folder / "t.db")
    info["sqlite"] = str(folder / "t.db")
    info["chdb"] = f"chdb:{folder / 'ch'}"
    info["legacy"] = f"chdb:{folder / 'ch'}?database=legacy"
    code, out, err = run("import", "--store", info["chdb"], str(write_otlp(info["spans"],
                                                                         folder / "all.json")))  # fmt: skip
    assert code == 0, err
    assert f"into {info['chdb']}" in out
    write_legacy_rows(info["legacy"], info["spans"])
    return info


COMMANDS: list[list[str]] = [
    ["traces"],
    ["traces", "--limit", "2"],
    ["traces", "--limit", "7"],
    ["traces", "--since", "2h"],
    ["traces", "--status", "error"],
    ["traces", "--status", "ok"],
    ["traces", "--run", "run-a"],
    ["traces", "--run", "last"],
    ["traces", "--service", "other"],
    ["traces", "--since", "25m"],
    ["spans", "--limit", "200"],
    ["spans", "--full", "--limit", "200"],
    ["spans", "--tool", "get_weather", "--limit", "50"],
    ["spans", "--operation", "chat", "--sort", "duration", "--limit", "1"],
    ["spans", "--model", "gpt-4.1"],
    ["spans", "--agent", "weather"],
    ["spans", "--status", "error", "--full"],
    ["spans", "--status", "ok", "--limit", "3"],
    ["spans", "--min-duration", "90ms"],
    ["spans", "--name", "chat claude", "--full"],
    ["spans", "--where", "gen_ai.usage.input_tokens>150"],
    ["spans", "--where", "gen_ai.request.temperature<=0.7"],
    ["spans", "--where", "gen_ai.request.stream=true"],
    ["spans", "--where", "gen_ai.operation.name!=chat"],
    ["spans", "--where", "service=other", "--where", "kind=client"],
    ["spans", "--since", "35m", "--until", "15m"],
    *[["stats", "--by", by] for by in
      ("operation", "model", "tool", "agent", "provider", "service", "run", "name")],
    ["stats", "--by", "model", "--since", "24h", "--run", "run-b"],
    ["stats", "--by", "operation", "--operation", "chat"],
]  # fmt: skip


def _json(store: str, args: list[str]) -> Any:
    code, out, err = run(*args, "--json", "--store", store)
    assert code == 0, (args, err)
    return json.loads(out)


# Fields and semantics the SQLite store gained after this backend was written (root status
# on trace rows, per-kind stats with trace counts and total time, `!=` matching spans that
# lack the key): not yet on ClickHouse, listed in docs/clickhouse.md.
KNOWN_GAPS = ("stats", "--run last", "!=")


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
@pytest.mark.parametrize("side", ["chdb", "legacy"])
def test_read_commands_match_sqlite(
    stores: dict[str, Any], side: str, args: list[str], request: pytest.FixtureRequest
) -> None:
    if any(gap in " ".join(args) for gap in KNOWN_GAPS):
        request.applymarker(pytest.mark.xfail(reason="not yet on ClickHouse", strict=False))
    expected = _json(stores["sqlite"], args)
    assert expected.get("traces", expected.get("spans", expected.get("groups"))), args
    assert _json(stores[side], args) == expected


@pytest.mark.parametrize("side", ["chdb", "legacy"])
def test_show_every_trace_and_by_prefix(stores: dict[str, Any], side: str) -> None:
    for trace_id in stores["ids"]:
        assert _json(stores[side], ["show", trace_id]) == _json(
            stores["sqlite"], ["show", trace_id]
        )
    prefix = stores["ids"][-1][:6]
    assert _json(stores[side], ["show", prefix]) == _json(stores["sqlite"], ["show", prefix])
    assert _json(stores[side], ["show", "last"]) == _json(stores["sqlite"], ["show", "last"])


def test_typed_values_are_recovered(stores: dict[str, Any]) -> None:
    spans = _json(stores["chdb"], ["spans", "--name", "chat claude", "--full"])["spans"]
    attrs = spans[0]["attributes"]
    assert attrs["gen_ai.usage.input_tokens"] == 1200
    assert attrs["gen_ai.response.finish_reasons"] == ["stop"]
    assert attrs["gen_ai.request.stop_sequences"] == ["\n\n", "END"]
    assert attrs["gen_ai.request.top_p"] == 1.0 and isinstance(attrs["gen_ai.request.top_p"], float)
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["app.tags"] == ["a", "b"] and attrs["app.flag"] is False
    assert spans[0]["scope"] == {"name": "agentotel.anthropic", "version": "1.2.3"}


def test_names_ids_and_versions_stay_text() -> None:
    from agentotel.store.clickhouse_rows import typed

    assert typed("service.version", "1.0") == "1.0"
    assert typed("gen_ai.response.id", "42") == "42"
    assert typed("app.count", "42") == 42
    assert typed("gen_ai.usage.input_tokens", "12") == 12


@pytest.mark.parametrize("side", ["chdb", "legacy"])
def test_eval_verdicts_match_and_say_once_they_were_not_recorded(
    stores: dict[str, Any], side: str
) -> None:
    args = ["eval", "--since", "2h", "--json"]
    want = run(*args, "--no-record", "--store", stores["sqlite"])
    got = run(*args, "--no-record", "--store", stores[side])
    assert got[0] == want[0] and got[2] == ""
    expected, actual = json.loads(want[1]), json.loads(got[1])
    expected.pop("source"), actual.pop("source")
    expected.pop("recorded", None), actual.pop("recorded", None)
    assert actual == expected
    code, _, err = run(*args, "--store", stores[side])
    assert code == want[0]
    assert err.count("not recorded in ClickHouse") == 1 and len(err.splitlines()) == 1


def test_import_skips_spans_already_stored(stores: dict[str, Any], tmp_path: Path) -> None:
    path = write_otlp(stores["spans"][:3], tmp_path / "few.json")
    code, out, _ = run("import", "--store", stores["chdb"], str(path), "--json")
    assert code == 0 and json.loads(out)["new_spans"] == 0


def test_sql_is_read_only(stores: dict[str, Any]) -> None:
    code, out, err = run("sql", "--json", "--store", stores["chdb"],
                         "SELECT count() AS n FROM otel.otel_traces")  # fmt: skip
    assert code == 0, err
    assert str(len(stores["spans"])) in out
    for statement in (
        "DROP TABLE otel.otel_traces",
        "INSERT INTO otel.otel_traces (TraceId) VALUES ('x')",
        "SELECT 1; DROP TABLE otel.otel_traces",
        "SELECT 1 INTO OUTFILE '/tmp/agentotel-x'",
    ):
        code, _, err = run("sql", "--store", stores["chdb"], statement)
        assert code == 2 and err.startswith("agentotel: sql:") and len(err.splitlines()) == 1
    code, _, err = run("sql", "--store", stores["chdb"], "SELECT * FROM otel.nope")
    assert code == 2 and len(err.splitlines()) == 1
    code, out, _ = run("sql", "--store", stores["chdb"], "DESCRIBE TABLE otel.otel_traces")
    assert code == 0 and "SpanAttributes" in out


@pytest.mark.parametrize("side", ["chdb", "legacy"])
def test_export_and_compare_match(stores: dict[str, Any], side: str) -> None:
    for trace_id in stores["ids"]:
        code, want, _ = run("export", trace_id, "--store", stores["sqlite"])
        code2, got, err = run("export", trace_id, "--store", stores[side])
        assert code == code2 == 0, err
        assert json.loads(got) == json.loads(want)
    args = ["compare", "--baseline", "run:run-a", "--candidate", "run:run-b", "--json"]
    want_c = run(*args, "--store", stores["sqlite"])
    got_c = run(*args, "--store", stores[side])
    assert got_c[0] == want_c[0], got_c[2]
    expected, actual = json.loads(want_c[1]), json.loads(got_c[1])
    for doc in (expected, actual):
        doc.pop("source", None)
    assert actual == expected


async def test_mcp_server_reads_a_chdb_store(stores: dict[str, Any]) -> None:
    mcp = pytest.importorskip("mcp")
    import os
    import sys

    from mcp.client.stdio import StdioServerParameters

    env = {k: v for k, v in os.environ.items() if k != "AGENTOTEL_STORE"}
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "agentotel.cli", "mcp", "--store", stores["chdb"]],
        env=env,
    )  # fmt: skip
    async with mcp.Client(params, read_timeout_seconds=60) as client:
        result = await client.call_tool("list_traces", {"status": "error"})
        payload = result.structured_content or json.loads(result.content[0].text)
        want = _json(stores["sqlite"], ["traces", "--status", "error"])
        assert payload["traces"] == want["traces"]
        rows = await client.call_tool("run_sql", {"sql": "SELECT count() FROM otel.otel_traces"})
        assert not rows.is_error
        denied = await client.call_tool("run_sql", {"sql": "DROP TABLE otel.otel_traces"})
        assert denied.is_error
