"""The ``agentotel`` command through its real entry point, in subprocesses."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from agentotel.cli import main as cli_main
from agentotel.store.schema import SCHEMA_VERSION, VERSION_TABLE
from tests.store.fixtures import build_store


def cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "AGENTOTEL_STORE_TIMEOUT": "200ms", "NO_COLOR": "1", **(env or {})}
    full_env.pop("AGENTOTEL_STORE", None) if env is None or "AGENTOTEL_STORE" not in env else None
    return subprocess.run(
        [sys.executable, "-m", "agentotel.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        input=stdin,
        timeout=60,
    )


def main(capsys: pytest.CaptureFixture[str], *args: str, stdin: str | None = None) -> Any:
    """The same entry point in this process (cheaper than a subprocess), as a CompletedProcess."""
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        code = cli_main(list(args))
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code or 0)
    finally:
        sys.stdin = sys.__stdin__
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(list(args), code, captured.out, captured.err)


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("agentotel: ")
    return lines[0]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("cli")
    info = build_store(folder / "t.db")
    info["path"] = str(folder / "t.db")
    return info


def test_entry_point_in_a_subprocess(store: dict[str, Any]) -> None:
    done = cli("traces", "--store", store["path"], "--json")
    assert done.returncode == 0, done.stderr
    assert [t["trace_id"] for t in json.loads(done.stdout)["traces"]] == store["ids"][::-1]
    done = cli("show", "last", "--store", store["path"])
    assert done.returncode == 0 and "invoke_agent weather" in done.stdout
    script = Path(sys.executable).parent / "agentotel"
    if script.exists():  # the console script, once the package is installed with it
        done = subprocess.run([str(script), "--version"], capture_output=True, text=True)
        assert done.returncode == 0


def test_traces_table_and_json(capsys: pytest.CaptureFixture[str], store: dict[str, Any]) -> None:
    done = main(capsys, "traces", "--store", store["path"])
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["TRACE", "ROOT", "STARTED"]
    assert lines[1].startswith(store["ids"][-1][:8])
    assert "invoke_agent weather" in lines[1]
    done = main(capsys, "traces", "--store", store["path"], "--json", "--status", "error")
    data = json.loads(done.stdout)
    (row,) = data["traces"]
    assert row["trace_id"] == store["ids"][-1]
    assert row["error_count"] == 3 and row["llm_calls"] == 4 and row["tool_calls"] == 3
    assert row["start"].endswith("Z") and isinstance(row["duration_ms"], float)
    assert row["cost_usd"] > 0


def test_show_tree_and_json(capsys: pytest.CaptureFixture[str], store: dict[str, Any]) -> None:
    done = main(capsys, "show", store["ids"][-1][:6], "--store", store["path"])
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith(f"trace {store['ids'][-1]}")
    assert "run run-b" in out and "3 errors" in out
    assert "├─ chat gpt-4o-mini" in out and "└─ chat gpt-4o-mini" in out
    assert "✗ ValueError: no such city" in out
    assert "user: weather in Paris?" in out
    assert (
        "user: weather"
        not in main(capsys, "show", "last", "--store", store["path"], "--no-content").stdout
    )
    data = json.loads(main(capsys, "show", "last", "--store", store["path"], "--json").stdout)
    assert data["trace"]["trace_id"] == store["ids"][-1]
    assert [s["depth"] for s in data["spans"]] == [0] + [1] * 7
    assert data["spans"][1]["attributes"]["gen_ai.request.model"] == "gpt-4o-mini"


def test_spans_stats_and_sql(capsys: pytest.CaptureFixture[str], store: dict[str, Any]) -> None:
    done = main(
        capsys,
        "spans",
        "--store",
        store["path"],
        "--operation",
        "execute_tool",
        "--status",
        "error",
    )
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 4
    data = json.loads(
        main(capsys, "spans", "--store", store["path"], "--json", "--where", "gen_ai.usage.input_tokens>150",
            "--min-duration", "50ms", "--full").stdout
    )  # fmt: skip
    assert len(data["spans"]) == 5
    assert all(s["input_tokens"] == 200 and "attributes" in s for s in data["spans"])
    data = json.loads(
        main(capsys, "stats", "--store", store["path"], "--by", "tool", "--json").stdout
    )
    assert data["by"] == "tool"
    assert data["groups"][0]["key"] == "get_weather" and data["groups"][0]["count"] == 7
    table = main(capsys, "stats", "--store", store["path"], "--by", "model").stdout
    assert table.splitlines()[0].split()[:4] == ["MODEL", "TRACES", "SPANS", "ERRORS"]
    data = json.loads(main(capsys, "sql", "SELECT count(*) AS n FROM traces", "--store", store["path"],
                          "--json").stdout)  # fmt: skip
    assert data == {"columns": ["n"], "rows": [[5]]}


def test_sql_cannot_write(capsys: pytest.CaptureFixture[str], store: dict[str, Any]) -> None:
    done = main(capsys, "sql", "DELETE FROM spans", "--store", store["path"])
    assert done.returncode == 2
    assert "not authorized" in one_line_error(done)
    done = main(capsys, "sql", "SELEC nonsense", "--store", store["path"])
    assert done.returncode == 2
    one_line_error(done)


def test_export_and_import(
    capsys: pytest.CaptureFixture[str], store: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "trace.json"
    done = main(capsys, "export", store["ids"][0], "--store", store["path"], "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["resourceSpans"]
    target = str(tmp_path / "copy.db")
    done = main(capsys, "import", str(out), "--store", target)
    assert done.returncode == 0 and "imported 4 spans (4 new)" in done.stdout
    done = main(capsys, "import", "-", "--store", target, "--json", stdin=out.read_text())
    assert json.loads(done.stdout) == {"spans": 4, "new_spans": 0, "store": target}
    shown = json.loads(main(capsys, "show", store["ids"][0], "--store", target, "--json").stdout)
    assert shown["trace"]["span_count"] == 4
    stdout_export = main(capsys, "export", "last", "--store", target).stdout
    assert json.loads(stdout_export)["resourceSpans"][0]["scopeSpans"]


def test_bad_input_exit_codes(
    capsys: pytest.CaptureFixture[str], store: dict[str, Any], tmp_path: Path
) -> None:
    done = main(capsys, "show", "ffffffff", "--store", store["path"])
    assert done.returncode == 1 and "no trace or span ffffffff" in one_line_error(done)
    done = main(capsys, "show", "000", "--store", store["path"])
    assert done.returncode == 1 and "several traces" in one_line_error(done)
    done = main(capsys, "traces", "--since", "whenever", "--store", store["path"])
    assert done.returncode == 2 and "not a time" in one_line_error(done)
    done = main(capsys, "spans", "--where", "nothing", "--store", store["path"])
    assert done.returncode == 2
    assert main(capsys, "stats", "--by", "color", "--store", store["path"]).returncode == 2
    assert main(capsys, "frobnicate").returncode == 2
    assert (
        main(
            capsys,
        ).returncode
        == 2
    )
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "otlp"}')
    done = main(capsys, "import", str(bad), "--store", str(tmp_path / "x.db"))
    assert done.returncode == 1 and "resourceSpans" in one_line_error(done)
    done = main(capsys, "import", str(tmp_path / "absent.json"), "--store", str(tmp_path / "x.db"))
    assert done.returncode == 1 and "cannot read" in one_line_error(done)


def test_unusable_stores_give_one_line_errors(tmp_path: Path) -> None:
    done = cli("traces", cwd=tmp_path)
    assert done.returncode == 1 and "no trace store at" in one_line_error(done)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00garbage" * 1000)
    done = cli("traces", "--store", str(junk))
    assert done.returncode == 1 and "not a readable agentotel store" in one_line_error(done)
    newer = tmp_path / "newer.db"
    build_store(newer)
    conn = sqlite3.connect(newer)
    conn.execute(f"UPDATE {VERSION_TABLE} SET version = ?", (SCHEMA_VERSION + 5,))
    conn.commit()
    conn.close()
    done = cli("show", "last", "--store", str(newer))
    assert done.returncode == 1 and "upgrade agentotel" in one_line_error(done)


def test_locked_store(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    build_store(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("DELETE FROM meta")
    try:
        done = cli("traces", "--store", str(path))
        assert done.returncode == 1 and "locked" in one_line_error(done)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_store_from_environment(store: dict[str, Any]) -> None:
    done = cli("traces", "--json", env={"AGENTOTEL_STORE": store["path"]})
    assert len(json.loads(done.stdout)["traces"]) == 5


def test_run_instruments_a_program_and_its_subprocesses(tmp_path: Path) -> None:
    child = textwrap.dedent(
        """
        import subprocess, sys
        from opentelemetry import trace

        tracer = trace.get_tracer("app")
        with tracer.start_as_current_span(sys.argv[1]):
            pass
        if sys.argv[1] == "parent":
            subprocess.run([sys.executable, __file__, "child"], check=True)
        print("ran", sys.argv[1])
        """
    )
    (tmp_path / "app.py").write_text(child)
    store_path = tmp_path / "out.db"
    done = cli(
        "run", "--store", str(store_path), "--", sys.executable, "app.py", "parent", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["ran child", "ran parent"]
    data = json.loads(cli("traces", "--store", str(store_path), "--json").stdout)["traces"]
    assert sorted(t["root_name"] for t in data) == ["child", "parent"]
    assert len({t["run_id"] for t in data}) == 1 and data[0]["run_id"]
    assert {t["service_name"] for t in data} == {"app"}


def test_run_passes_the_exit_status_and_reports_a_missing_program(tmp_path: Path) -> None:
    done = cli(
        "run", "--store", str(tmp_path / "s.db"), sys.executable, "-c", "raise SystemExit(7)"
    )
    assert done.returncode == 7
    done = cli("run", "--", "no-such-program-here")
    assert done.returncode == 2 and "program not found" in one_line_error(done)
    done = cli("run")
    assert done.returncode == 2


def test_run_keeps_the_programs_own_sitecustomize(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(
        "import builtins; builtins.MARK = 'theirs'\n"
    )
    code = "import builtins; print(getattr(builtins, 'MARK', 'missing'))"
    done = cli(
        "run", "--store", str(tmp_path / "s.db"), "--", sys.executable, "-c", code,
        env={"PYTHONPATH": str(tmp_path / "site")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "theirs"


def test_version() -> None:
    done = cli("--version")
    assert done.returncode == 0 and done.stdout.startswith("agentotel ")
