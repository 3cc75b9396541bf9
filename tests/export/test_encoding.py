"""The hand-written encoder against the SDK's own OTLP encoder, decoded by opentelemetry-proto."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as sdk_encode
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.span import TraceState

from agentotel.export import EncodedBatch, _encoding, encode_spans

TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)
LONG_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), min_size=120, max_size=400)
INT64 = st.integers(min_value=-(1 << 63), max_value=(1 << 63) - 1)
FLOAT = st.floats(allow_nan=False)
SCALAR = st.one_of(TEXT, LONG_TEXT, st.booleans(), INT64, FLOAT)
VALUE = st.one_of(
    SCALAR,
    st.lists(TEXT, max_size=4).map(tuple),
    st.lists(st.booleans(), max_size=4).map(tuple),
    st.lists(INT64, max_size=4).map(tuple),
    st.lists(FLOAT, max_size=4).map(tuple),
)
KEY = st.text(alphabet="abcdefghij._", min_size=1, max_size=12)
ATTRS = st.dictionaries(KEY, VALUE, max_size=8)
TRACE_STATE = st.lists(
    st.tuples(st.sampled_from(["vendor", "rojo", "congo"]), st.sampled_from(["a1", "t61rcWkgMzE"])),
    max_size=2,
    unique_by=lambda kv: kv[0],
).map(TraceState)
CONTEXT = st.builds(
    SpanContext,
    trace_id=st.integers(min_value=1, max_value=(1 << 128) - 1),
    span_id=st.integers(min_value=1, max_value=(1 << 64) - 1),
    is_remote=st.booleans(),
    trace_flags=st.sampled_from([TraceFlags(0), TraceFlags(1)]),
    trace_state=TRACE_STATE,
)
STATUS = st.one_of(
    st.just(None),
    st.builds(Status, st.sampled_from([StatusCode.OK, StatusCode.UNSET])),
    st.builds(Status, st.just(StatusCode.ERROR), st.one_of(st.none(), TEXT)),
)


def normalize(request: ExportTraceServiceRequest) -> ExportTraceServiceRequest:
    """Clear the two fields where agentotel follows the OTLP spec and the Python SDK does not.

    The SDK leaves the W3C trace flags (bits 0-7 of ``flags``) and link trace
    state unset; agentotel sends both.
    """
    for rs in request.resource_spans:
        for ss in rs.scope_spans:
            for span in ss.spans:
                span.flags &= ~0xFF
                for link in span.links:
                    link.flags &= ~0xFF
                    link.ClearField("trace_state")
    return request


def decode(body: bytes) -> ExportTraceServiceRequest:
    return ExportTraceServiceRequest.FromString(body)


@st.composite
def span_specs(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "name": draw(TEXT),
        "kind": draw(st.sampled_from(list(SpanKind))),
        "attrs": draw(ATTRS),
        "events": draw(
            st.lists(
                st.tuples(TEXT, ATTRS, st.integers(min_value=0, max_value=(1 << 63))),
                max_size=3,
            )
        ),
        "links": draw(st.lists(st.tuples(CONTEXT, ATTRS), max_size=2)),
        "status": draw(STATUS),
        "parent": draw(st.one_of(st.none(), CONTEXT)),
        "scope": draw(st.integers(min_value=0, max_value=2)),
    }


def build_spans(
    specs: list[dict[str, Any]], resource_attrs: dict[str, Any], limit: int | None
) -> tuple[ReadableSpan, ...]:
    exporter = InMemorySpanExporter()
    limits = SpanLimits(
        max_span_attributes=limit,
        max_events=limit,
        max_links=limit,
        max_event_attributes=limit,
        max_link_attributes=limit,
    )
    provider = TracerProvider(
        resource=Resource(resource_attrs, "https://schema/r"), span_limits=limits
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracers = [
        provider.get_tracer("scope.a"),
        provider.get_tracer("scope.b", "1.2.3", schema_url="https://schema/s", attributes={"x": 1}),
        provider.get_tracer(""),
    ]
    for spec in specs:
        parent = spec["parent"]
        context = trace.set_span_in_context(trace.NonRecordingSpan(parent)) if parent else None
        span = tracers[spec["scope"]].start_span(
            spec["name"],
            context=context,
            kind=spec["kind"],
            attributes=spec["attrs"],
            links=[Link(ctx, attrs) for ctx, attrs in spec["links"]],
        )
        for name, attrs, timestamp in spec["events"]:
            span.add_event(name, attrs, timestamp=timestamp)
        if spec["status"] is not None:
            span.set_status(spec["status"])
        span.end()
    provider.shutdown()
    return exporter.get_finished_spans()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    specs=st.lists(span_specs(), min_size=1, max_size=4),
    resource_attrs=ATTRS,
    limit=st.sampled_from([None, 2]),
)
def test_matches_sdk_encoder(
    specs: list[dict[str, Any]], resource_attrs: dict[str, Any], limit: int | None
) -> None:
    spans = build_spans(specs, resource_attrs, limit)
    ours = normalize(decode(encode_spans(spans)))
    theirs = normalize(sdk_encode(spans))
    assert ours == theirs


@settings(max_examples=15, deadline=None)
@given(specs=st.lists(span_specs(), min_size=1, max_size=3))
def test_cached_encoding_is_stable(specs: list[dict[str, Any]]) -> None:
    spans = build_spans(specs, {"service.name": "svc"}, None)
    first = encode_spans(spans)
    assert encode_spans(spans) == first  # from the caches
    _encoding.clear_caches()
    assert encode_spans(spans) == first  # from scratch


def test_every_value_type_and_empty_values() -> None:
    attrs = {
        "s": "",
        "b": False,
        "i": 0,
        "f": 0.0,
        "neg": -1,
        "max": (1 << 63) - 1,
        "min": -(1 << 63),
        "empty": (),
        "strs": ("a", ""),
        "bools": (True, False),
        "ints": (0, -5),
        "floats": (1.5, -0.0),
        "with_none": ("a", None),
        "unicode": "h\u00e9llo \u2603 \U0001f600",
    }
    spans = build_spans(
        [
            {
                "name": "n",
                "kind": SpanKind.CLIENT,
                "attrs": attrs,
                "events": [],
                "links": [],
                "status": None,
                "parent": None,
                "scope": 0,
            }
        ],
        {},
        None,
    )
    decoded = decode(encode_spans(spans))
    assert normalize(decoded) == normalize(sdk_encode(spans))
    span = decoded.resource_spans[0].scope_spans[0].spans[0]
    values = {kv.key: kv.value for kv in span.attributes}
    assert values["s"].HasField("string_value") and values["s"].string_value == ""
    assert values["b"].HasField("bool_value") and not values["b"].bool_value
    assert values["i"].HasField("int_value")
    assert values["f"].HasField("double_value")
    assert values["empty"].HasField("array_value") and len(values["empty"].array_value.values) == 0
    assert values["min"].int_value == -(1 << 63)
    assert not values["with_none"].array_value.values[1].WhichOneof("value")


def test_flags_carry_trace_flags_and_remote_parent() -> None:
    parent = SpanContext(0xAB, 0xCD, is_remote=True, trace_flags=TraceFlags(1))
    linked = SpanContext(
        0x12, 0x34, is_remote=False, trace_flags=TraceFlags(1), trace_state=TraceState([("k", "v")])
    )
    spans = build_spans(
        [
            {
                "name": "n",
                "kind": SpanKind.SERVER,
                "attrs": {},
                "events": [],
                "links": [(linked, {})],
                "status": None,
                "parent": parent,
                "scope": 0,
            }
        ],
        {},
        None,
    )
    span = decode(encode_spans(spans)).resource_spans[0].scope_spans[0].spans[0]
    assert span.flags == 0x100 | 0x200 | 0x01
    assert span.parent_span_id == (0xCD).to_bytes(8, "big")
    assert span.links[0].flags == 0x100 | 0x01
    assert span.links[0].trace_state == "k=v"


def test_values_the_sdk_cannot_encode_are_left_out() -> None:
    spans = build_spans(
        [
            {
                "name": "n",
                "kind": SpanKind.INTERNAL,
                "attrs": {"ok": 1, "huge": 1 << 70},
                "events": [],
                "links": [],
                "status": None,
                "parent": None,
                "scope": 0,
            }
        ],
        {},
        None,
    )
    span = decode(encode_spans(spans)).resource_spans[0].scope_spans[0].spans[0]
    assert [kv.key for kv in span.attributes] == ["ok"]


def test_groups_by_resource_and_scope() -> None:
    spans_a = build_spans(
        [
            {
                "name": str(i),
                "kind": SpanKind.INTERNAL,
                "attrs": {},
                "events": [],
                "links": [],
                "status": None,
                "parent": None,
                "scope": i % 3,
            }
            for i in range(6)
        ],
        {"service.name": "a"},
        None,
    )
    spans_b = build_spans(
        [
            {
                "name": "b",
                "kind": SpanKind.INTERNAL,
                "attrs": {},
                "events": [],
                "links": [],
                "status": None,
                "parent": None,
                "scope": 0,
            }
        ],
        {"service.name": "b"},
        None,
    )
    decoded = decode(encode_spans(list(spans_a) + list(spans_b)))
    assert len(decoded.resource_spans) == 2
    assert [len(rs.scope_spans) for rs in decoded.resource_spans] == [3, 1]
    assert decoded.resource_spans[0].schema_url == "https://schema/r"


def test_empty_batch_encodes_to_nothing() -> None:
    assert encode_spans([]) == b""


@pytest.mark.parametrize("yield_every", [0, 1, 3])
def test_yielding_does_not_change_bytes(yield_every: int) -> None:
    spans = build_spans(
        [
            {
                "name": str(i),
                "kind": SpanKind.INTERNAL,
                "attrs": {"i": i},
                "events": [],
                "links": [],
                "status": None,
                "parent": None,
                "scope": 0,
            }
            for i in range(5)
        ],
        {},
        None,
    )
    assert encode_spans(spans, yield_every) == encode_spans(spans)


def test_signed_zero_floats_are_not_confused_by_the_cache() -> None:
    specs = [
        {**_plain_spec(str(i)), "attrs": {"t": value}}
        for i, value in enumerate([0.0, -0.0, 0.0, -0.0])
    ]
    spans = build_spans(specs, {}, None)
    decoded = decode(encode_spans(spans))
    values = [
        s.attributes[0].value.double_value for s in decoded.resource_spans[0].scope_spans[0].spans
    ]
    assert [str(v) for v in values] == ["0.0", "-0.0", "0.0", "-0.0"]


def test_keys_with_unique_values_stop_being_cached() -> None:
    _encoding.clear_caches()
    specs = [
        {**_plain_spec(str(i)), "attrs": {"id": f"chatcmpl-{i}", "model": "gpt-4o"}}
        for i in range(_encoding._VALUES_PER_KEY_MAX + 50)
    ]
    spans = build_spans(specs, {}, None)
    decoded = decode(encode_spans(spans))
    got = [
        {kv.key: kv.value.string_value for kv in s.attributes}
        for s in decoded.resource_spans[0].scope_spans[0].spans
    ]
    assert got == [{"id": f"chatcmpl-{i}", "model": "gpt-4o"} for i in range(len(specs))]
    caches = _encoding._key_caches[_encoding._TAG_SPAN_ATTR]
    assert caches["id"].count == _encoding._VALUES_PER_KEY_MAX
    assert len(caches["id"].strs) == _encoding._VALUES_PER_KEY_MAX
    assert len(caches["model"].strs) == 1


def test_str_subclass_values_are_sent_as_their_content() -> None:
    import enum

    class Op(str, enum.Enum):
        CHAT = "chat"

    attrs = {"op": Op.CHAT}  # str(Op.CHAT) is "Op.CHAT"; protobuf sends the content
    decoded = decode(encode_spans(build_spans([{**_plain_spec("e"), "attrs": attrs}], {}, None)))
    (span,) = decoded.resource_spans[0].scope_spans[0].spans
    assert span.attributes[0].value.string_value == "chat"


def _plain_spec(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "kind": SpanKind.INTERNAL,
        "attrs": {},
        "events": [],
        "links": [],
        "status": None,
        "parent": None,
        "scope": 0,
    }


def test_encoded_batch_built_in_pieces_matches_one_call() -> None:
    specs = [{**_plain_spec(str(i)), "scope": i % 3, "attrs": {"i": i}} for i in range(10)]
    spans = build_spans(specs, {"service.name": "svc"}, None)
    batch = EncodedBatch()
    for start in range(0, len(spans), 3):
        batch.add(spans[start : start + 3])
    assert len(batch) == batch.count == 10
    assert batch.size > 0
    assert decode(batch.body()) == decode(encode_spans(spans))
    assert normalize(decode(batch.body())) == normalize(sdk_encode(spans))
