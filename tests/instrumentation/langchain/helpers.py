"""Assertions on whole trace trees."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from tests.conftest import tree


def by_name(spans: Sequence[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name == name]


def one(spans: Sequence[ReadableSpan], name: str) -> ReadableSpan:
    found = by_name(spans, name)
    assert len(found) == 1, (name, tree(spans))
    return found[0]


def parent_of(spans: Sequence[ReadableSpan], span: ReadableSpan) -> ReadableSpan | None:
    if span.parent is None:
        return None
    for s in spans:
        if s.context is not None and s.context.span_id == span.parent.span_id:
            return s
    return None


def kinds(spans: Sequence[ReadableSpan]) -> dict[str, SpanKind]:
    """Span name -> kind (asserting that spans of one name share a kind)."""
    out: dict[str, SpanKind] = {}
    for s in spans:
        assert out.setdefault(s.name, s.kind) == s.kind, s.name
    return out


def one_trace(spans: Sequence[ReadableSpan]) -> None:
    assert len({s.context.trace_id for s in spans if s.context is not None}) == 1, tree(spans)
