"""``agentotel view --serve``: browse a store from 127.0.0.1, read-only.

Every request opens the store read-only, renders one page and closes it; only GET
and HEAD are answered, and the server binds to the loopback interface alone.
"""

from __future__ import annotations

import sys
import urllib.parse
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from agentotel import query
from agentotel.store.clickhouse_target import display
from agentotel.store.errors import AmbiguousTraceId, StoreError, TraceNotFound
from agentotel.view import data
from agentotel.view.page import render

HOST = "127.0.0.1"


def _page(store: str | Path, path: str) -> str:
    from agentotel.evals.source import run_ids

    parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/") if p]
    with query.open(store) as q:
        if not parts:
            return render(data.index_payload(q, display(store), run_ids(q)[:100]), links=True)
        if len(parts) == 2 and parts[0] == "trace":
            return render(data.trace_payload(q.trace(parts[1])), links=True)
        if len(parts) == 2 and parts[0] == "run":
            return render(data.run_payload(q, parts[1]), links=True)
    raise LookupError(f"no page {path}")


def _handler(store: str | Path) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "agentotel-view"

        def _send(self, status: HTTPStatus, body: str, kind: str = "text/html") -> None:
            raw = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(raw)

        def do_GET(self) -> None:
            path = urllib.parse.urlsplit(self.path).path
            try:
                self._send(HTTPStatus.OK, _page(store, path))
            except (LookupError, TraceNotFound, AmbiguousTraceId) as exc:
                self._send(HTTPStatus.NOT_FOUND, f"not found: {exc}\n", "text/plain")
            except StoreError as exc:
                self._send(HTTPStatus.SERVICE_UNAVAILABLE, f"store: {exc}\n", "text/plain")

        do_HEAD = do_GET

        def _refuse(self) -> None:
            self._send(HTTPStatus.METHOD_NOT_ALLOWED, "read-only\n", "text/plain")

        do_POST = do_PUT = do_DELETE = do_PATCH = _refuse

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def make_server(store: str | Path, port: int = 0) -> ThreadingHTTPServer:
    """A server on 127.0.0.1 (``port`` 0 picks a free one); the caller runs and closes it."""
    with query.open(store):  # fail now, with the store's own message, if it cannot be read
        pass
    server = ThreadingHTTPServer((HOST, port), _handler(store))
    server.daemon_threads = True
    return server


def serve(
    store: str | Path, port: int = 0, on_ready: Callable[[str], None] | None = None
) -> None:  # pragma: no cover - blocking loop; make_server is what the tests drive
    """Serve until interrupted."""
    server = make_server(store, port)
    url = f"http://{HOST}:{server.server_address[1]}/"
    (on_ready or (lambda u: sys.stderr.write(f"agentotel view: serving {u} (Ctrl-C stops)\n")))(url)
    try:
        server.serve_forever()
    finally:
        server.server_close()
