"""A real HTTP server on 127.0.0.1 serving a ScriptedModel, for SDKs, examples and demos."""

from __future__ import annotations

import logging
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from ._model import Script, ScriptedModel, internal_error
from ._types import RecordedRequest, Response

_log = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    """Reads one request, asks the model, writes the answer (streams flushed event by event)."""

    protocol_version = "HTTP/1.1"
    server_version = "agentotel-scripted/1"
    # Idle keep-alive connections close after this long, so threads do not pile up.
    timeout = 30
    server: _Server

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        body = self._read_body()
        headers = {k: v for k, v in self.headers.items()}
        try:
            response = self.server.model.handle(self.command, self.path, headers, body)
        except Exception as exc:
            # A failing script callable is a bug in the test: answer 500 and say why.
            _log.exception("scripted model failed to answer %s %s", self.command, self.path)
            message = f"scripted model raised {type(exc).__name__}: {exc}"
            response = internal_error(message)
        if response.delay > 0:
            time.sleep(response.delay)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.stream is None:
            self.send_header("content-length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)
            self.wfile.flush()
            return
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        self._write_stream(response)

    def _write_stream(self, response: Response) -> None:
        assert response.stream is not None
        try:
            for index, chunk in enumerate(response.stream):
                if index and response.chunk_delay > 0:
                    time.sleep(response.chunk_delay)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            # The client closed the stream early, which tests do on purpose.
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        _log.debug("scripted model: " + format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    model: ScriptedModel

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients dropping keep-alive connections is normal; anything else is worth a trace.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class ScriptedModelServer:
    """Serves a :class:`ScriptedModel` over HTTP on 127.0.0.1 from a daemon thread.

    Point the real SDKs at it: ``OpenAI(base_url=server.openai_base_url, api_key="x")`` or
    ``Anthropic(base_url=server.anthropic_base_url, api_key="x")``. Use it as a context
    manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        script: Script | ScriptedModel = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.model = script if isinstance(script, ScriptedModel) else ScriptedModel(script)
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> ScriptedModelServer:
        """Bind and start serving; returns self. Starting twice is a no-op."""
        if self._server is not None:
            return self
        server = _Server(self._address, _Handler)
        server.model = self.model
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="agentotel-scripted-model",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving and release the port. Stopping twice is a no-op."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> ScriptedModelServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the server is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        return self._address[0]

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """The ``base_url`` for the OpenAI SDK: ``http://127.0.0.1:PORT/v1``."""
        return f"{self.url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        """The ``base_url`` for the Anthropic SDK: ``http://127.0.0.1:PORT``."""
        return self.url

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order."""
        return self.model.requests
