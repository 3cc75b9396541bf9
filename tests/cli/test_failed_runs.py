"""Failed runs are first-class: trace rows carry the root span's status and error type."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agentotel import query
from tests.cli.test_cli import main


def test_trace_rows_carry_the_root_status(failing_store: dict[str, Any]) -> None:
    with query.open(failing_store["store"]) as q:
        rows = q.traces(run="r1")
        failed = q.traces(run="r1", failed=True)
        erring = q.traces(run="r1", status="error")
    assert len(rows) == 3
    assert [(t.status, t.error_type) for t in failed] == [("error", "OrderMissing")]
    # --status error keeps its meaning: any span erred, the handled tool error included.
    assert len(erring) == 2
    handled = [t for t in erring if t.status == "ok"]
    assert len(handled) == 1 and handled[0].error_type is None
    assert all(t.to_dict()["status"] in ("ok", "error") for t in rows)


def test_traces_failed_on_the_cli(
    capsys: pytest.CaptureFixture[str], failing_store: dict[str, Any]
) -> None:
    store = failing_store["store"]
    done = main(capsys, "traces", "--store", store, "--failed", "--run", "r1", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["traces"]
    assert [(r["status"], r["error_type"]) for r in rows] == [("error", "OrderMissing")]
    table = main(capsys, "traces", "--store", store, "--run", "r1").stdout
    assert "FAILED OrderMissing" in table
    assert table.count("FAILED") == 1
