"""stats per group: traces, total time, per-operation percentiles, --by error_type; SQL cost."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agentotel import query
from tests.cli.test_cli import main


def _stats(capsys: pytest.CaptureFixture[str], store: str, *args: str) -> list[dict[str, Any]]:
    done = main(capsys, "stats", "--store", store, "--json", *args)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout)["groups"])


def test_stats_by_run_counts_traces_and_splits_kinds(
    capsys: pytest.CaptureFixture[str], failing_store: dict[str, Any]
) -> None:
    store = failing_store["store"]
    groups = {g["key"]: g for g in _stats(capsys, store, "--by", "run")}
    assert set(groups) == {"r0", "r1"}
    r1 = groups["r1"]
    assert r1["trace_count"] == 3 and r1["percentiles_of"] == "traces"
    with query.open(store) as q:
        traces = q.traces(run="r1")
    assert r1["total_ms"] == pytest.approx(sum(t.duration_ns for t in traces) / 1e6, abs=0.01)
    kinds = r1["by_operation"]
    assert set(kinds) == {"invoke_agent", "chat", "execute_tool"}
    assert kinds["invoke_agent"]["count"] == 3 and kinds["execute_tool"]["error_count"] == 1
    assert kinds["chat"]["p50_ms"] <= kinds["chat"]["p99_ms"]
    table = main(capsys, "stats", "--store", store, "--by", "run").stdout
    assert "TRACES" in table and "TOTAL" in table and "per operation:" in table


def test_stats_by_error_type(
    capsys: pytest.CaptureFixture[str], failing_store: dict[str, Any]
) -> None:
    groups = {g["key"]: g for g in _stats(capsys, failing_store["store"], "--by", "error_type")}
    assert set(groups) == {"OrderMissing", "TimeoutError"}
    assert groups["OrderMissing"]["trace_count"] == 2
    assert list(groups["TimeoutError"]["by_operation"]) == ["execute_tool"]


def test_cost_is_one_sql_query_away(
    capsys: pytest.CaptureFixture[str], failing_store: dict[str, Any]
) -> None:
    store = failing_store["store"]
    done = main(capsys, "sql", "--store", store, "--json",
                "SELECT run_id, sum(cost_usd) FROM span_costs GROUP BY run_id ORDER BY run_id")  # fmt: skip
    rows = json.loads(done.stdout)["rows"]
    assert [r[0] for r in rows] == ["r0", "r1"] and all(r[1] > 0 for r in rows)
    groups = {g["key"]: g for g in _stats(capsys, store, "--by", "run")}
    assert rows[1][1] == pytest.approx(groups["r1"]["cost_usd"], rel=0.05)
    per_trace = main(capsys, "sql", "--store", store, "--json",
                     "SELECT count(*) FROM trace_costs WHERE cost_usd > 0")  # fmt: skip
    assert json.loads(per_trace.stdout)["rows"] == [[6]]
    denied = main(capsys, "sql", "--store", store, "DROP VIEW span_costs")
    assert denied.returncode == 2
