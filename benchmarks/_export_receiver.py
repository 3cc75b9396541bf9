"""A loopback OTLP/HTTP receiver for the export benchmark, run as a separate process.

POST /v1/traces counts the spans in each body (decoded with opentelemetry-proto);
GET /stats returns the totals as JSON. Run: ``python _export_receiver.py`` and
read the port from the first line of its output.
"""

from __future__ import annotations

import gzip
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

_lock = threading.Lock()
_totals = {"spans": 0, "requests": 0, "bytes": 0}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length", "0")))
        body = gzip.decompress(raw) if self.headers.get("content-encoding") == "gzip" else raw
        request = ExportTraceServiceRequest.FromString(body)
        count = sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
        with _lock:
            _totals["spans"] += count
            _totals["requests"] += 1
            _totals["bytes"] += len(raw)
        self._reply(b"")

    def do_GET(self) -> None:
        with _lock:
            payload = json.dumps(_totals).encode()
        self._reply(payload)

    def _reply(self, payload: bytes) -> None:
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a benchmark child exiting mid-connection resets it; that is expected


def main() -> None:
    server = _Server(("127.0.0.1", 0), _Handler)
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # exit when the parent closes our stdin


if __name__ == "__main__":
    main()
