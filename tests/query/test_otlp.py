"""OTLP JSON export and import."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from agentotel import query
from agentotel.query import otlp
from agentotel.store.convert import from_readable
from tests.store.fixtures import build_store


def _ids_to_base64(data: Any) -> Any:
    """Proto3's canonical JSON wants bytes as base64 where OTLP JSON uses hex."""
    if isinstance(data, dict):
        out = {}
        for k, v in data.items():
            if k in ("traceId", "spanId", "parentSpanId") and isinstance(v, str):
                v = base64.b64encode(bytes.fromhex(v)).decode()
            out[k] = _ids_to_base64(v)
        return out
    if isinstance(data, list):
        return [_ids_to_base64(v) for v in data]
    return data


def _sdk_spans() -> list[Any]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "svc", "n": 3}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("scope", "0.1")
    with tracer.start_as_current_span(
        "root",
        kind=SpanKind.SERVER,
        attributes={"s": "x", "i": 7, "f": 1.5, "b": True, "l": [1, 2]},
    ) as root:
        root.add_event("ev", {"e": "v"})
        with tracer.start_as_current_span("child", kind=SpanKind.CLIENT) as child:
            child.set_status(Status(StatusCode.ERROR, "bad"))
    provider.shutdown()
    return list(exporter.get_finished_spans())


def test_encoding_matches_the_sdk_protobuf_encoder() -> None:
    sdk = _sdk_spans()
    ours = otlp.encode(s for s in (from_readable(x) for x in sdk) if s is not None)
    parsed = json_format.Parse(json.dumps(_ids_to_base64(ours)), ExportTraceServiceRequest())
    expected = encode_spans(sdk)
    got = {s.name: s for rs in parsed.resource_spans for ss in rs.scope_spans for s in ss.spans}
    want = {s.name: s for rs in expected.resource_spans for ss in rs.scope_spans for s in ss.spans}
    assert got.keys() == want.keys()
    for name, span in want.items():
        mine = got[name]
        for field in ("trace_id", "span_id", "parent_span_id", "name", "kind",
                      "start_time_unix_nano", "end_time_unix_nano", "attributes", "events",
                      "status"):  # fmt: skip
            assert getattr(mine, field) == getattr(span, field), (name, field)
    assert (
        parsed.resource_spans[0].resource.attributes
        == expected.resource_spans[0].resource.attributes
    )
    assert parsed.resource_spans[0].scope_spans[0].scope.name == "scope"


def test_wire_details() -> None:
    (sdk,) = [s for s in _sdk_spans() if s.name == "root"]
    span = from_readable(sdk)
    assert span is not None
    encoded = otlp.encode_span(span)
    assert encoded["traceId"] == format(sdk.context.trace_id, "032x")
    assert isinstance(encoded["startTimeUnixNano"], str)
    attrs = {kv["key"]: kv["value"] for kv in encoded["attributes"]}
    assert attrs["i"] == {"intValue": "7"}
    assert attrs["f"] == {"doubleValue": 1.5}
    assert attrs["b"] == {"boolValue": True}
    assert attrs["l"] == {"arrayValue": {"values": [{"intValue": "1"}, {"intValue": "2"}]}}
    assert encoded["kind"] == 2


def test_export_import_round_trip(tmp_path: Path) -> None:
    info = build_store(tmp_path / "a.db")
    with query.open(tmp_path / "a.db") as q:
        original = q.trace(info["ids"][-1]).to_dict()
        payload = q.export_otlp(info["ids"][-1])
    text = json.dumps(payload)
    assert query.import_otlp(text, tmp_path / "b.db") == (8, 8)
    assert query.import_otlp(text, tmp_path / "b.db") == (8, 0)  # idempotent
    with query.open(tmp_path / "b.db") as q:
        copied = q.trace(info["ids"][-1]).to_dict()
    assert copied == original


def test_import_accepts_lenient_forms(tmp_path: Path) -> None:
    request = {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "x"}}]},
                "scopeSpans": [
                    {
                        "scope": {"name": "s"},
                        "spans": [
                            {
                                "traceId": base64.b64encode(bytes(range(16))).decode(),
                                "spanId": "00000000000000AA",
                                "name": "op",
                                "kind": "SPAN_KIND_CLIENT",
                                "startTimeUnixNano": 1000,
                                "endTimeUnixNano": "3000",
                                "status": {"code": "STATUS_CODE_ERROR"},
                                "attributes": [
                                    {"key": "k", "value": {"kvlistValue": {"values": [
                                        {"key": "a", "value": {"intValue": 1}}]}}},
                                    {"key": "bin", "value": {"bytesValue": "AQI="}},
                                    {"key": "empty", "value": {}},
                                ],
                            }
                        ],
                    }
                ],
            }
        ]
    }  # fmt: skip
    lines = json.dumps(request) + "\n\n" + json.dumps(request) + "\n"
    (span,) = otlp.decode(request)
    assert span.trace_id == bytes(range(16)).hex() and span.span_id == "00000000000000aa"
    assert (span.kind, span.status, span.duration_ns) == ("client", "error", 2000)
    assert span.attributes == {"k": {"a": 1}, "bin": "0102", "empty": None}
    assert len(otlp.loads(lines)) == 2


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        "[]",
        '{"resourceLogs": []}',
        '{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "xyz", "spanId": "1"}]}]}]}',
        '{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "'
        + "ab" * 16
        + '", "spanId": "'
        + "cd" * 8
        + '", "attributes": "oops"}]}]}]}',
    ],
)
def test_import_rejects_bad_input(text: str, tmp_path: Path) -> None:
    with pytest.raises(otlp.OTLPError):
        query.import_otlp(text, tmp_path / "c.db")


def test_decode_does_not_mutate_input() -> None:
    (sdk,) = [s for s in _sdk_spans() if s.name == "root"]
    span = from_readable(sdk)
    assert span is not None
    data = otlp.encode([span])
    before = copy.deepcopy(data)
    otlp.decode(data)
    assert data == before
