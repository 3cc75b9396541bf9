"""A cost the client library reported (agentotel.usage.cost) wins over the price-table estimate."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentotel import pricing, query, semconv
from agentotel.store.sqlite import SQLiteStore
from tests.store.fixtures import agent_trace


def test_recorded_reads_only_valid_costs() -> None:
    assert pricing.recorded({semconv.AGENTOTEL_USAGE_COST: 0.0125}) == 0.0125
    assert pricing.recorded({semconv.AGENTOTEL_USAGE_COST: True}) is None
    assert pricing.recorded({semconv.AGENTOTEL_USAGE_COST: -1}) is None
    assert pricing.recorded({}) is None


def test_span_and_trace_cost_prefer_the_recorded_cost(tmp_path: Path) -> None:
    spans = agent_trace(1, 1_000_000_000_000)
    chats = [s for s in spans if s.operation == semconv.OP_CHAT]
    chats[0].attributes[semconv.AGENTOTEL_USAGE_COST] = 0.5
    store = SQLiteStore(tmp_path / "t.db", readonly=False, max_age_s=None, max_bytes=None)
    store.write(spans)
    store.close()
    with query.open(tmp_path / "t.db") as q:
        trace = q.trace(spans[0].trace_id)
    by_id = {s.span_id: s for s in trace.spans}
    assert by_id[chats[0].span_id].cost_usd == 0.5
    estimate = pricing.cost("gpt-4o-mini-2024-07-18", 200, 30)
    assert estimate is not None
    assert by_id[chats[1].span_id].cost_usd == pytest.approx(estimate, abs=1e-6)
    assert trace.summary.cost_usd == pytest.approx(0.5 + estimate, abs=1e-6)


def test_eval_cost_prefers_the_recorded_cost() -> None:
    from agentotel.evals.builtin import Context

    span = agent_trace(1, 1_000_000_000_000)[1]
    ctx = Context(prices=pricing.cost)
    estimate = ctx.cost(span)
    assert estimate is not None and estimate > 0
    span.attributes[semconv.AGENTOTEL_USAGE_COST] = 0.25
    assert ctx.cost(span) == 0.25
    assert Context(prices=None).cost(span) is None
