"""The MCP tools answer what the CLI answers (eval, compare, schema), within a size budget."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentotel.cli.mcp_server import Tools
from tests.cli.test_cli import main


@pytest.fixture
def tools(failing_store: dict[str, Any]) -> Tools:
    return Tools(Path(failing_store["store"]))


def test_evaluate_is_eval_json(
    tools: Tools, capsys: pytest.CaptureFixture[str], failing_store: dict[str, Any]
) -> None:
    report = tools.evaluate(run="r1")
    done = main(capsys, "eval", "--store", failing_store["store"], "--run", "r1", "--no-record",
                "--json")  # fmt: skip
    cli = json.loads(done.stdout)
    assert report["failed_evaluators"] == cli["failed_evaluators"]
    assert "run_failures" in report["failed_evaluators"]
    loops = tools.evaluate(run="r1", evaluators=["tool_loops"])
    assert [e["evaluator"] for e in loops["evaluations"]] == ["tool_loops"]
    with pytest.raises(ValueError, match="no run 'r9'"):
        tools.evaluate(run="r9")


def test_compare_and_schema(tools: Tools) -> None:
    result = tools.compare(baseline="previous", candidate="last")
    assert result["verdict"] and result["metrics"]
    assert result["baseline"]["description"] == "run r0"
    schema = tools.schema()
    assert "trace_id" in schema["tables"]["spans"]
    keys = {k["key"]: k for k in schema["attribute_keys"]}
    assert keys["gen_ai.tool.name"]["examples"] == ["lookup_order"]
    assert keys["gen_ai.operation.name"]["count"] > 0
    assert "~" in schema["where_operators"]
    sql = tools.run_sql("SELECT trace_id, operation FROM spans", limit=3)
    assert sql["columns"] == ["trace_id", "operation"]


def test_show_trace_compact_elides_and_budgets(tools: Tools) -> None:
    failed = tools.list_traces(failed=True, run="r1")["traces"]
    assert [t["error_type"] for t in failed] == ["OrderMissing"]
    compact = tools.show_trace(failed[0]["trace_id"])
    full = tools.show_trace(failed[0]["trace_id"], format="full", max_chars=0)
    assert len(compact["lines"]) == len(full["spans"])
    assert len(json.dumps(compact)) < len(json.dumps(full)) / 2
    elided = [line for line in compact["lines"] if "chars]" in line]
    assert elided and all('(whole: find_spans(trace_id="' in line for line in elided)
    small = tools.show_trace(failed[0]["trace_id"], max_chars=1500)
    assert len(json.dumps(small)) <= 1500
    assert small["truncated"]["total"] == len(full["spans"]) > small["truncated"]["kept"]
    spans = tools.find_spans(run="r1", max_chars=1000)
    assert len(json.dumps(spans)) <= 1000 and spans["truncated"]["kept"] < 50


def test_show_compact_on_the_cli(
    capsys: pytest.CaptureFixture[str], failing_store: dict[str, Any]
) -> None:
    store = failing_store["store"]
    done = main(capsys, "show", "--store", store, "last", "--format", "compact")
    lines = done.stdout.splitlines()
    assert lines[0].startswith("trace ") and "status=error error_type=OrderMissing" in lines[0]
    assert all(len(line) < 1200 for line in lines)
    assert any("--where span_id=" in line and "--full --json" in line for line in lines)
    as_json = main(capsys, "show", "--store", store, "last", "--format", "json")
    assert json.loads(as_json.stdout)["trace"]["status"] == "error"
