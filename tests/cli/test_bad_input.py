"""Every bad input to the CLI is one line on stderr and exit 1 or 2, never a traceback."""

from __future__ import annotations

import json
import string
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentotel.cli import main as cli_main
from tests.store.fixtures import build_store

HUGE = "9" * 30
HUGE_INPUTS = {
    "traces": [["--limit", HUGE], ["--limit", "-" + HUGE], ["--since", HUGE + "d"],
               ["--until", HUGE + "d"], ["--since", "9" * 400 + "s"]],
    "spans": [["--limit", HUGE], ["--min-duration", HUGE], ["--min-duration", HUGE + "d"],
              ["--since", HUGE + "h"], ["--where", f"gen_ai.usage.input_tokens>{HUGE}"],
              ["--where", f"gen_ai.usage.input_tokens=-{HUGE}"], ["--where", f"n<{'9' * 400}"],
              ["--where", f"duration_ns>={HUGE}"], ["--where", f"x={HUGE}.5"]],
    "stats": [["--limit", HUGE], ["--since", HUGE + "d"], ["--by", "model", "--since", HUGE]],
    "sql": [["SELECT 1", "--limit", HUGE], [f"SELECT {HUGE}"], [f"SELECT 1 LIMIT {HUGE}"],
            ["SELECT 1", "--limit", "-" + HUGE], ["SELECT 1", "--timeout", HUGE]],
    "eval": [["--limit", HUGE], ["--since", HUGE + "d"], ["--no-record", "--limit", "-" + HUGE]],
    "compare": [["--baseline", f"since:{HUGE}d", "--candidate", "last", "--limit", HUGE],
                ["--baseline", f"0..{HUGE}", "--candidate", "last"]],
}  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = cli_main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def assert_clean(code: int, err: str) -> None:
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in err
    assert "internal error" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) <= 1, err
    assert all(line.startswith("agentotel: ") for line in lines), err


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("bad") / "t.db"
    build_store(path)
    return str(path)


@pytest.mark.parametrize(
    "args",
    [[cmd, *extra] for cmd, cases in HUGE_INPUTS.items() for extra in cases],
    ids=lambda a: " ".join(x[:12] for x in a),
)
def test_huge_numbers(capsys: pytest.CaptureFixture[str], store: str, args: list[str]) -> None:
    code, _, err = run(capsys, *args, "--store", store)
    assert_clean(code, err)


def test_export_into_a_missing_folder_or_onto_a_directory(
    capsys: pytest.CaptureFixture[str], store: str, tmp_path: Path
) -> None:
    for target, words in ((tmp_path / "absent" / "t.json", "folder"), (tmp_path, "directory")):
        code, _, err = run(capsys, "export", "last", "--store", store, "-o", str(target))
        assert_clean(code, err)
        assert code == 2 and words in err


def _nested(depth: int) -> str:
    return '{"resourceSpans": ' + "[" * depth + "]" * depth + "}"


def test_deeply_nested_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text(_nested(200_000))
    attrs = tmp_path / "deep_attrs.json"  # valid JSON, nested inside an attribute value
    depth = sys.getrecursionlimit()
    value = '{"kvlistValue": {"values": [{"key": "k", "value": ' * depth + '{"stringValue": "x"}'
    value += "}]}}" * depth
    attrs.write_text(
        _otlp_span().replace(
            '"attributes": []', f'"attributes": [{{"key": "a", "value": {value}}}]'
        )
    )
    for path in (deep, attrs):
        code, _, err = run(capsys, "import", str(path), "--store", str(tmp_path / "i.db"))
        assert_clean(code, err)
        code, _, err = run(capsys, "eval", "--file", str(path), "--store", str(tmp_path / "e.db"))
        assert_clean(code, err)


def _otlp_span(start: str = "1000", end: str = "2000", attributes: Any = ()) -> str:
    span = {"traceId": "ab" * 16, "spanId": "cd" * 8, "name": "s", "kind": 1,
            "startTimeUnixNano": start, "endTimeUnixNano": end, "attributes": list(attributes)}  # fmt: skip
    return json.dumps({"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": [span]}]}]})


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("9" * 30, "9" * 31),
        ("-" + "9" * 30, "5"),
        ("0", "9" * 40),
        ("1" + "0" * 19, "2" + "0" * 19),
    ],
)
def test_import_with_huge_timestamps(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, start: str, end: str
) -> None:
    path = tmp_path / "huge.json"
    path.write_text(_otlp_span(start, end))
    db = str(tmp_path / "h.db")
    code, _, err = run(capsys, "import", str(path), "--store", db)
    assert_clean(code, err)
    for args in (["traces"], ["show", "last"], ["spans", "--json"], ["export", "last"], ["stats"]):
        code, _, err = run(capsys, *args, "--store", db)
        assert_clean(code, err)


def test_sql_stops_after_its_time_limit(
    capsys: pytest.CaptureFixture[str], store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    forever = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c"
    code, _, err = run(capsys, "sql", forever, "--store", store, "--timeout", "300ms")
    assert_clean(code, err)
    assert code == 1 and "stopped after 0.3 s" in err
    monkeypatch.setenv("AGENTOTEL_SQL_TIMEOUT", "200ms")
    code, _, err = run(capsys, "sql", forever, "--store", store)
    assert code == 1 and "stopped after 0.2 s" in err
    code, _, err = run(capsys, "sql", "SELECT count(*) FROM spans", "--store", store)
    assert code == 0 and err == ""


def test_mcp_run_sql_stops_after_its_time_limit(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentotel.cli.mcp_server import Tools

    monkeypatch.setenv("AGENTOTEL_SQL_TIMEOUT", "200ms")
    tools = Tools(Path(store))
    forever = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c"
    with pytest.raises(ValueError, match=r"stopped after 0\.2 s"):
        tools.run_sql(forever)
    assert tools.run_sql("SELECT 1 AS one") == {"columns": ["one"], "rows": [[1]]}


_NUMBERS = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "-", "1e999", "nan", "0x10", "1_000", "٣", "9" * 500]),
)
_WORDS = st.text(alphabet=string.printable + "\udcff\u00e9\x00", max_size=12).filter(
    lambda s: "\x00" not in s
)
_UNITS = st.sampled_from(["", "ms", "s", "m", "h", "d", "us", "x"])
_OPTION_VALUES = {
    "--limit": _NUMBERS,
    "--since": st.one_of(st.builds(lambda n, u: n + u, _NUMBERS, _UNITS), _WORDS),
    "--until": st.one_of(st.builds(lambda n, u: n + u, _NUMBERS, _UNITS), _WORDS),
    "--min-duration": st.builds(lambda n, u: n + u, _NUMBERS, _UNITS),
    "--where": st.builds(
        lambda k, op, v: f"{k}{op}{v}",
        st.sampled_from(["gen_ai.usage.input_tokens", "duration_ns", "name", "x", 'a"b', ""]),
        st.sampled_from(["=", "!=", ">", ">=", "<", "<=", "=="]),
        st.one_of(_NUMBERS, _WORDS),
    ),
    "--trace": _WORDS,
    "--run": _WORDS,
    "--operation": _WORDS,
}
_COMMAND_OPTIONS = {
    "traces": ["--limit", "--since", "--until", "--run"],
    "spans": ["--limit", "--since", "--until", "--min-duration", "--where", "--trace", "--run",
              "--operation"],
    "stats": ["--limit", "--since", "--until", "--run", "--operation"],
    "eval": ["--limit", "--since", "--until", "--trace", "--run"],
}  # fmt: skip


@st.composite
def _argv(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from([*_COMMAND_OPTIONS, "show", "export", "sql"]))
    if command == "show" or command == "export":
        return [command, draw(st.one_of(_WORDS, st.sampled_from(["last", "ab", "0" * 32])))]
    if command == "sql":
        return [command, draw(st.one_of(_WORDS, st.just("SELECT 1"))), "--limit", draw(_NUMBERS)]
    names = draw(st.lists(st.sampled_from(_COMMAND_OPTIONS[command]), max_size=4))
    argv = [command]
    for name in names:
        argv += [name, draw(_OPTION_VALUES[name])]
    if command == "eval":
        argv.append("--no-record")
    return argv


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(argv=_argv())
def test_fuzzed_arguments(capsys: pytest.CaptureFixture[str], store: str, argv: list[str]) -> None:
    if any(a.startswith("-") and a[1:2].isdigit() for a in argv[1:]):
        argv = [a if not (a.startswith("-") and a[1:2].isdigit()) else " " + a for a in argv]
    code, _, err = run(capsys, *argv, "--store", store)
    assert_clean(code, err)
