"""FastTracer/FastSpan against the SDK's own tracer: same spans, less work (issue 10)."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry import trace as trace_api
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

from agentotel.export._encoding import encode_spans
from agentotel.telemetry import fasttrace


def pair(**kwargs: Any) -> tuple[Any, Any, InMemorySpanExporter]:
    """A fast and an SDK tracer of one provider, both feeding one in-memory exporter."""
    provider = fasttrace.FastTracerProvider(**kwargs)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    fast = provider.get_tracer("tests.fast", "1.0")
    assert isinstance(fast, fasttrace.FastTracer)
    sdk = TracerProvider.get_tracer(provider, "tests.fast", "1.0")  # the SDK's own tracer
    return fast, sdk, exporter


def shape(span: ReadableSpan) -> dict[str, Any]:
    """Everything an exporter reads from a span, except ids and times."""
    return {
        "name": span.name,
        "kind": span.kind,
        "attributes": dict(span.attributes or {}),
        "dropped_attributes": span.dropped_attributes,
        "events": [(e.name, dict(e.attributes or {})) for e in span.events],
        "links": [dict(link.attributes or {}) for link in span.links],
        "status": (span.status.status_code, span.status.description),
        "flags": int(span.context.trace_flags),
        "has_parent": span.parent is not None,
        "resource": dict(span.resource.attributes),
        "scope": (span.instrumentation_scope.name, span.instrumentation_scope.version),
    }


def exercise(tracer: Any) -> None:
    parent = tracer.start_span("parent", kind=SpanKind.SERVER)
    ctx = trace_api.set_span_in_context(parent)
    link = trace_api.Link(parent.get_span_context(), {"why": "retry"})
    child = tracer.start_span(
        "chat gpt-4o",
        context=ctx,
        kind=SpanKind.CLIENT,
        attributes={"gen_ai.request.model": "gpt-4o", "n": 2, "t": 0.5, "ok": True},
        links=[link],
    )
    child.set_attribute("gen_ai.response.finish_reasons", ("stop",))
    child.set_attributes({"list": ["a", "b"], "none": None, "bytes": b"x", "": "empty key"})
    child.add_event("gen_ai.choice", {"index": 0})
    child.set_status(trace_api.Status(trace_api.StatusCode.ERROR, "boom"))
    child.end()
    child.set_attribute("late", 1)  # after end: ignored by both
    child.end()  # twice: ignored by both
    parent.end()


def test_spans_match_the_sdk_tracer() -> None:
    fast, sdk, exporter = pair()
    exercise(fast)
    fast_spans = exporter.get_finished_spans()
    exporter.clear()
    exercise(sdk)
    sdk_spans = exporter.get_finished_spans()
    assert [type(s).__name__ for s in fast_spans] == ["FastSpan", "FastSpan"]
    assert [shape(s) for s in fast_spans] == [shape(s) for s in sdk_spans]
    child, parent = fast_spans
    assert child.parent is not None and child.parent.span_id == parent.context.span_id
    assert child.links[0].context.span_id == parent.context.span_id
    assert child.context.trace_id == parent.context.trace_id
    assert child.start_time is not None and child.end_time is not None
    assert child.end_time >= child.start_time
    assert child.context.trace_flags.sampled
    # Random ids carry the W3C random flag where the SDK sets it too (1.40 on).
    assert bool(child.context.trace_flags & 2) is (fasttrace._RANDOM_FLAG > 0)
    assert encode_spans(fast_spans)  # exporters take them as they are
    assert '"name": "parent"' in parent.to_json()


def test_span_limits_apply_as_in_the_sdk() -> None:
    limits = SpanLimits(max_span_attributes=3, max_span_attribute_length=4, max_events=1)
    fast, sdk, exporter = pair(span_limits=limits)
    for tracer in (fast, sdk):
        span = tracer.start_span("s", attributes={"a": "long value", "b": 1})
        span.set_attributes({"c": 2, "d": 3})
        span.add_event("e1")
        span.add_event("e2")
        span.end()
    fast_span, sdk_span = exporter.get_finished_spans()
    assert shape(fast_span) == shape(sdk_span)
    assert dict(fast_span.attributes or {}) == {"b": 1, "c": 2, "d": 3}  # oldest evicted
    assert fast_span.dropped_attributes == 1 and fast_span.dropped_events == 1


def test_an_unsampled_parent_gives_a_non_recording_child() -> None:
    fast, _, exporter = pair()
    parent_ctx = SpanContext(7, 9, is_remote=True, trace_flags=TraceFlags(0))
    ctx = trace_api.set_span_in_context(NonRecordingSpan(parent_ctx))
    span = fast.start_span("s", context=ctx)
    assert not span.is_recording()
    assert span.get_span_context().trace_id == 7
    span.end()
    assert exporter.get_finished_spans() == ()


class _Tagging(Sampler):
    """Samples everything and adds an attribute, like a real custom sampler might."""

    def should_sample(self, *args: Any, **kwargs: Any) -> SamplingResult:
        return SamplingResult(Decision.RECORD_AND_SAMPLE, {"sampler": "tagging"})

    def get_description(self) -> str:
        return "tagging"


@pytest.mark.parametrize(
    ("sampler", "recorded"),
    [(ALWAYS_OFF, 0), (ParentBased(TraceIdRatioBased(1.0)), 1), (_Tagging(), 1)],
)
def test_other_samplers_take_the_general_path(sampler: Sampler, recorded: int) -> None:
    fast, sdk, exporter = pair(sampler=sampler)
    fast.start_span("s", attributes={"a": 1}).end()
    sdk.start_span("s", attributes={"a": 1}).end()
    spans = exporter.get_finished_spans()
    assert len(spans) == 2 * recorded
    if recorded:  # a sampler's attributes are the span's, as in the SDK
        assert shape(spans[0]) == shape(spans[1])


def test_processors_added_later_see_later_spans() -> None:
    fast, _, first = pair()
    fast.start_span("one").end()
    provider = fast._sdk  # the SDK tracer: its processor is the provider's
    late = InMemorySpanExporter()
    provider.span_processor.add_span_processor(SimpleSpanProcessor(late))
    fast.start_span("two").end()
    assert [s.name for s in first.get_finished_spans()] == ["one", "two"]
    assert [s.name for s in late.get_finished_spans()] == ["two"]


def test_a_disabled_tracer_records_nothing() -> None:
    sdk_trace = pytest.importorskip("opentelemetry.sdk.trace")
    if not hasattr(sdk_trace, "_TracerConfig"):
        pytest.skip("this SDK has no tracer configurator (before 1.40)")
    config = sdk_trace._TracerConfig(is_enabled=False)
    fast, _, exporter = pair(_tracer_configurator=lambda scope: config)
    span = fast.start_span("s")
    assert not span.is_recording()
    span.end()
    assert exporter.get_finished_spans() == ()


class _Counting(IdGenerator):
    def __init__(self) -> None:
        self.n = 0

    def generate_span_id(self) -> int:
        self.n += 1
        return self.n

    def generate_trace_id(self) -> int:
        return 0xABC


def test_a_custom_id_generator_is_used() -> None:
    fast, _, exporter = pair(id_generator=_Counting())
    fast.start_span("s").end()
    (span,) = exporter.get_finished_spans()
    assert (span.context.trace_id, span.context.span_id) == (0xABC, 1)
    assert not span.context.trace_flags & 2  # not declared random


def test_plain_providers_keep_the_sdk_tracer() -> None:
    assert not isinstance(TracerProvider().get_tracer("x", "1"), fasttrace.FastTracer)


def test_the_provider_hands_out_one_fast_tracer_per_scope() -> None:
    provider = fasttrace.FastTracerProvider()
    tracer = provider.get_tracer("x", "1")
    assert isinstance(tracer, fasttrace.FastTracer)
    assert provider.get_tracer("x", "1") is tracer
    assert provider.get_tracer("y", "1") is not tracer
    # What a library may read from an SDK tracer reads through.
    assert (tracer.resource, tracer.sampler) == (provider.resource, provider.sampler)


def test_start_as_current_span_sets_and_restores_the_context() -> None:
    fast, _, exporter = pair()
    with pytest.raises(ValueError), fast.start_as_current_span("outer") as outer:
        assert trace_api.get_current_span() is outer
        raise ValueError("boom")
    assert trace_api.get_current_span() is not outer
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code is trace_api.StatusCode.ERROR
    assert [e.name for e in span.events] == ["exception"]


async def test_start_as_current_span_decorates_coroutine_functions() -> None:
    """As with the SDK tracer, the decorated coroutine runs inside the span."""
    fast, sdk, exporter = pair()
    for tracer in (fast, sdk):

        @tracer.start_as_current_span("work")
        async def work() -> str:
            return trace_api.get_current_span().name  # type: ignore[attr-defined,no-any-return]

        assert await work() == "work"
    assert [s.name for s in exporter.get_finished_spans()] == ["work", "work"]
