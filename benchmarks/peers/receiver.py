"""A loopback OTLP/HTTP sink: reads request bodies, answers 200, and counts what it was sent.

It runs in its own process so that receiving costs no CPU in the measured process. Bodies are
kept undecoded while a benchmark runs; `GET /stats` decodes those kept since the last
`GET /reset` (protobuf via opentelemetry-proto when importable, or OTLP JSON) and answers
counts of requests, bytes, spans, metric data points and log records.

Run: `python receiver.py [port]`; it prints `listening <port>` once ready.
"""

from __future__ import annotations

import gzip
import json
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_lock = threading.Lock()
_bodies: list[tuple[str, str, bytes]] = []
_totals = {"requests": 0, "bytes": 0}


def _inflate(encoding: str, body: bytes) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    return body


def _count_json(path: str, data: dict[str, Any]) -> dict[str, int]:
    out = {"spans": 0, "metric_points": 0, "log_records": 0}
    if path.endswith("/traces"):
        for rs in data.get("resourceSpans", []):
            for ss in rs.get("scopeSpans", []):
                out["spans"] += len(ss.get("spans", []))
    elif path.endswith("/metrics"):
        for rm in data.get("resourceMetrics", []):
            for sm in rm.get("scopeMetrics", []):
                for metric in sm.get("metrics", []):
                    for kind in ("sum", "gauge", "histogram", "exponentialHistogram", "summary"):
                        if kind in metric:
                            out["metric_points"] += len(metric[kind].get("dataPoints", []))
    elif path.endswith("/logs"):
        for rl in data.get("resourceLogs", []):
            for sl in rl.get("scopeLogs", []):
                out["log_records"] += len(sl.get("logRecords", []))
    return out


def _count_proto(path: str, body: bytes) -> dict[str, int]:
    out = {"spans": 0, "metric_points": 0, "log_records": 0}
    if path.endswith("/traces"):
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
        )

        req = ExportTraceServiceRequest.FromString(body)
        out["spans"] = sum(len(ss.spans) for rs in req.resource_spans for ss in rs.scope_spans)
    elif path.endswith("/metrics"):
        from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
            ExportMetricsServiceRequest,
        )

        mreq = ExportMetricsServiceRequest.FromString(body)
        for rm in mreq.resource_metrics:
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    kind = metric.WhichOneof("data")
                    if kind is not None:
                        out["metric_points"] += len(getattr(metric, kind).data_points)
    elif path.endswith("/logs"):
        from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

        lreq = ExportLogsServiceRequest.FromString(body)
        out["log_records"] = sum(
            len(sl.log_records) for rl in lreq.resource_logs for sl in rl.scope_logs
        )
    return out


def stats() -> dict[str, Any]:
    """Decode the bodies kept since the last reset and count what they hold."""
    with _lock:
        kept = list(_bodies)
        totals = dict(_totals)
    out: dict[str, Any] = {**totals, "spans": 0, "metric_points": 0, "log_records": 0, "errors": []}
    for path, ctype, body in kept:
        try:
            if "json" in ctype:
                counts = _count_json(path, json.loads(body))
            else:
                counts = _count_proto(path, body)
        except Exception as exc:  # report, keep counting the rest
            out["errors"].append(f"{path}: {type(exc).__name__}: {exc}"[:200])
            continue
        for key, value in counts.items():
            out[key] += value
    return out


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # silence per-request logging
        return

    def _answer(self, code: int, body: bytes, ctype: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        encoding = (self.headers.get("Content-Encoding") or "").lower()
        ctype = (self.headers.get("Content-Type") or "").lower()
        with _lock:
            _totals["requests"] += 1
            _totals["bytes"] += len(body)
            try:
                _bodies.append((self.path, ctype, _inflate(encoding, body)))
            except Exception:
                pass
        if "json" in ctype:
            self._answer(200, b"{}", "application/json")
        else:
            self._answer(200, b"", "application/x-protobuf")

    def do_GET(self) -> None:
        if self.path.startswith("/reset"):
            with _lock:
                _bodies.clear()
                _totals["requests"] = 0
                _totals["bytes"] = 0
            self._answer(200, b"{}", "application/json")
        elif self.path.startswith("/stats"):
            self._answer(200, json.dumps(stats()).encode(), "application/json")
        else:
            self._answer(404, b"", "text/plain")


def serve(port: int = 0) -> ThreadingHTTPServer:
    """Start the sink on 127.0.0.1 in a daemon thread and return the server."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    server = serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    print(f"listening {server.server_address[1]}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
