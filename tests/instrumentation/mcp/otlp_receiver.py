"""A loopback OTLP/HTTP receiver for tests: decodes protobuf trace and metric exports."""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

KINDS = {1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}


def _value(v: AnyValue) -> Any:
    which = v.WhichOneof("value")
    if which == "array_value":
        return tuple(_value(x) for x in v.array_value.values)
    return getattr(v, which) if which else None


def _attrs(kvs: Any) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in kvs}


@dataclass
class ReceivedSpan:
    service: str
    name: str
    kind: str
    trace_id: str
    span_id: str
    parent_span_id: str
    attributes: dict[str, Any]
    status_code: int
    scope: str


@dataclass
class ReceivedPoint:
    service: str
    metric: str
    attributes: dict[str, Any]
    count: int


@dataclass
class Received:
    spans: list[ReceivedSpan] = field(default_factory=list)
    points: list[ReceivedPoint] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _decode_body(handler: BaseHTTPRequestHandler) -> bytes:
    body = handler.rfile.read(int(handler.headers.get("Content-Length", "0")))
    encoding = (handler.headers.get("Content-Encoding") or "").lower()
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    return body


class OTLPReceiver:
    """``with OTLPReceiver() as receiver:``; point ``OTEL_EXPORTER_OTLP_ENDPOINT`` at ``receiver.endpoint``."""

    def __init__(self) -> None:
        self.received = Received()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = _decode_body(self)
                if self.path.endswith("/v1/traces"):
                    _store_traces(received, data)
                elif self.path.endswith("/v1/metrics"):
                    _store_metrics(received, data)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> OTLPReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def spans(self) -> list[ReceivedSpan]:
        with self.received.lock:
            return list(self.received.spans)

    @property
    def points(self) -> list[ReceivedPoint]:
        with self.received.lock:
            return list(self.received.points)

    def wait_for(self, predicate: Any, timeout: float = 20.0) -> bool:
        """Poll until ``predicate(self)`` holds (bounded; returns whether it did)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return True
            time.sleep(0.05)
        return bool(predicate(self))


def _store_traces(received: Received, data: bytes) -> None:
    request = ExportTraceServiceRequest()
    request.ParseFromString(data)
    spans = []
    for rs in request.resource_spans:
        service = str(_attrs(rs.resource.attributes).get("service.name", ""))
        for ss in rs.scope_spans:
            for s in ss.spans:
                spans.append(
                    ReceivedSpan(
                        service=service,
                        name=s.name,
                        kind=KINDS.get(s.kind, str(s.kind)),
                        trace_id=s.trace_id.hex(),
                        span_id=s.span_id.hex(),
                        parent_span_id=s.parent_span_id.hex(),
                        attributes=_attrs(s.attributes),
                        status_code=s.status.code,
                        scope=ss.scope.name,
                    )
                )
    with received.lock:
        received.spans.extend(spans)


def _store_metrics(received: Received, data: bytes) -> None:
    request = ExportMetricsServiceRequest()
    request.ParseFromString(data)
    points = []
    for rm in request.resource_metrics:
        service = str(_attrs(rm.resource.attributes).get("service.name", ""))
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                if metric.WhichOneof("data") != "histogram":
                    continue
                for p in metric.histogram.data_points:
                    points.append(
                        ReceivedPoint(service, metric.name, _attrs(p.attributes), p.count)
                    )
    with received.lock:
        received.points.extend(points)
