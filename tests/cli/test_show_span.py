"""``show`` opens a trace by one of its span ids; every eval finding names a trace and a span."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.cli.test_cli import main, one_line_error


def test_show_by_span_id_prefix_marks_the_span(
    capsys: pytest.CaptureFixture[str], failing_store: dict[str, Any]
) -> None:
    store = failing_store["store"]
    found = main(capsys, "spans", "--store", store, "--run", "r1", "--tool", "lookup_order",
                 "--status", "error", "--json")  # fmt: skip
    [span] = json.loads(found.stdout)["spans"]
    done = main(capsys, "show", "--store", store, span["span_id"][:10], "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["trace"]["trace_id"] == span["trace_id"]
    assert data["focus_span_id"] == span["span_id"]
    tree = main(capsys, "show", "--store", store, span["span_id"][:10]).stdout
    marked = [line for line in tree.splitlines() if f"span {span['span_id']}" in line]
    assert len(marked) == 1 and "execute_tool" in marked[0]
    missing = main(capsys, "show", "--store", store, "abcabcabc")
    assert missing.returncode == 1
    assert "no trace or span abcabcabc (recent: " in one_line_error(missing)


def test_every_eval_finding_names_a_trace_and_a_span(
    capsys: pytest.CaptureFixture[str], failing_store: dict[str, Any]
) -> None:
    store = failing_store["store"]
    done = main(capsys, "eval", "--store", store, "--run", "r1", "--no-record", "--json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    findings = [r for o in report["evaluations"] for r in o["details"] if not r["passed"]]
    assert {f["evaluator"] for f in findings} >= {"run_failures", "tool_errors"}
    for f in findings:
        assert f["trace_id"] and f["span_id"], f
        shown = main(capsys, "show", "--store", store, f["span_id"], "--json")
        assert json.loads(shown.stdout)["trace"]["trace_id"] == f["trace_id"]
