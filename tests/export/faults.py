"""Loopback endpoints that misbehave on purpose: hung, 429, slow, or down (a closed port).

Raw sockets rather than ``http.server`` so each fault is exact: ``hang`` reads the
request and never answers, ``429`` answers at once without ``Retry-After``,
``slow`` answers 200 after ``slow_delay`` seconds, ``down`` is a port nobody
listens on (connection refused).
"""

from __future__ import annotations

import socket
import threading
from typing import Final

KINDS: Final = ("down", "hang", "429", "slow")


def closed_port() -> int:
    """A loopback port that refuses connections (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class FaultServer:
    """A loopback HTTP endpoint with one fault; ``url`` is its base URL."""

    def __init__(self, kind: str, slow_delay: float = 3.0) -> None:
        if kind not in KINDS:
            raise ValueError(kind)
        self.kind = kind
        self.slow_delay = slow_delay
        self.requests = 0
        self._stop = threading.Event()
        self._held: list[socket.socket] = []
        self._listener: socket.socket | None = None
        if kind == "down":
            self.port = closed_port()
            return
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        listener.settimeout(0.2)
        self._listener = listener
        self.port = listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._held.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _read_request(self, conn: socket.socket) -> bool:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return False
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return False
            body += chunk
        self.requests += 1
        return True

    def _serve(self, conn: socket.socket) -> None:
        try:
            while not self._stop.is_set() and self._read_request(conn):
                if self.kind == "hang":
                    self._stop.wait()
                    return
                if self.kind == "slow" and self._stop.wait(self.slow_delay):
                    return
                status = b"429 Too Many Requests" if self.kind == "429" else b"200 OK"
                conn.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\n\r\n")
        except OSError:
            pass

    def close(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.close()
        for conn in self._held:
            try:
                conn.close()
            except OSError:
                pass
