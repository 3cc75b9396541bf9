"""One bad span never costs a store batch: values SQLite refuses are repaired, or the span skipped."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentotel import query, semconv
from agentotel.store import SQLiteStore, StoreSpanExporter
from agentotel.store.model import Span, SpanFilter
from agentotel.store.sanitize import INT64_MAX, TOKEN_LIMIT
from tests.store.fixtures import agent_trace


def _finished(n: int, odd: dict[str, Any], odd_at: int = 50) -> list[ReadableSpan]:
    """``n`` ended SDK spans; span ``odd_at`` carries the ``odd`` attributes."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({semconv.SERVICE_NAME: "t"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("t")
    for i in range(n):
        with tracer.start_as_current_span(f"s{i}") as span:
            span.set_attribute("i", i)
            if i == odd_at:
                for key, value in odd.items():
                    span.set_attribute(key, value)
    return list(memory.get_finished_spans())


def _count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM spans").fetchone()[0])


@pytest.mark.parametrize(
    "odd",
    [
        {"file": "a\udcff"},  # a lone surrogate (os.fsdecode of a non-UTF-8 name)
        {"big": 2**64},
        {semconv.GEN_AI_USAGE_INPUT_TOKENS: 2**63},
        {semconv.GEN_AI_USAGE_OUTPUT_TOKENS: -(2**70)},
        {"ratio": math.nan, "up": math.inf},
        {semconv.GEN_AI_REQUEST_MODEL: "gpt\ud800"},
    ],
    ids=["surrogate", "int64-overflow", "tokens-overflow", "tokens-underflow", "nan", "model"],
)
def test_one_odd_span_does_not_cost_the_batch(tmp_path: Path, odd: dict[str, Any]) -> None:
    path = tmp_path / "t.db"
    exporter = StoreSpanExporter(path)
    assert exporter.export(_finished(100, odd)) is SpanExportResult.SUCCESS
    exporter.shutdown()
    assert _count(path) == 100
    with query.open(path) as q:
        (odd_span,) = q.spans(name="s50", full=True)
        assert odd_span.attributes["i"] == 50
        if "big" in odd:  # JSON text holds it exactly: nothing to repair
            assert odd_span.attributes["big"] == 2**64
        else:
            assert odd_span.attributes[semconv.AGENTOTEL_STORE_SANITIZED]
        json.dumps(odd_span.to_dict())  # readable back as valid JSON
        assert q.spans(where=["i>=0"], limit=1000)  # json_extract over every row still works
        assert q.stats(by="operation")
        (plain,) = q.spans(name="s49", full=True)
        assert semconv.AGENTOTEL_STORE_SANITIZED not in plain.attributes


def test_repaired_values(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    exporter = StoreSpanExporter(path)
    odd = {
        "file": "a\udcff",
        "pair": "\ud83d\ude00",
        "big": 2**64,
        semconv.GEN_AI_OPERATION_NAME: semconv.OP_CHAT,
        semconv.GEN_AI_USAGE_INPUT_TOKENS: 2**63,
    }
    exporter.export(_finished(3, odd, odd_at=1))
    exporter.shutdown()
    with query.open(path) as q:
        (span,) = q.spans(name="s1", full=True)
    assert span.attributes["file"] == "a\ufffd"
    assert span.attributes["pair"] == "\U0001f600"  # a valid pair is joined, not replaced
    assert span.attributes["big"] == 2**64
    assert span.input_tokens == TOKEN_LIMIT
    assert "input_tokens" in span.attributes[semconv.AGENTOTEL_STORE_SANITIZED]


class _Unprintable:
    def __str__(self) -> str:
        raise ValueError("no text for this value")


def test_a_span_that_cannot_be_stored_costs_only_itself(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spans = agent_trace(1, 10**18)
    bad = Span("ab" * 16, "cd" * 8, None, "bad", attributes={"x": _Unprintable()})
    huge_times = Span("ab" * 16, "ef" * 8, None, "late", start_ns=2**70, end_ns=2**71)
    store = SQLiteStore(tmp_path / "t.db", readonly=False)
    with caplog.at_level("WARNING", logger="agentotel"):
        new = store.write([*spans[:2], bad, huge_times, *spans[2:]])
    assert new == len(spans) + 1
    assert store.rejected == 1
    assert sum("could not record span" in r.getMessage() for r in caplog.records) == 1
    (late,) = store.find_spans(SpanFilter(name="late"))
    assert late.start_ns == INT64_MAX
    store.close()
