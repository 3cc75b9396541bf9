"""HTTP connections for the exporter thread: one write per request, few GIL releases.

CPython releases the GIL around every socket call, and a socket with a Python-level
timeout polls before each call (a second release). For a background thread every
release is costly while the application keeps the GIL busy: winning it back can take
hundreds of milliseconds and milliseconds of CPU. So a request is written with one
``send`` (headers and body together, which also avoids a Nagle/delayed-ACK stall), and
plain-HTTP sockets use kernel send/receive timeouts in blocking mode instead of polls.
"""

from __future__ import annotations

import http.client
import socket
import struct
import sys
from typing import Any, Final

_KERNEL_TIMEOUTS: Final = sys.platform.startswith("linux") or sys.platform == "darwin"


def set_timeout(sock: socket.socket | None, timeout: float, kernel: bool) -> None:
    """Apply ``timeout`` to a connected socket: kernel timeouts if allowed, else Python's."""
    if sock is None:
        return
    if kernel and _KERNEL_TIMEOUTS and type(sock) is socket.socket:
        seconds = max(timeout, 0.001)
        whole = int(seconds)
        value = struct.pack("ll", whole, int((seconds - whole) * 1_000_000))
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
            sock.settimeout(None)
            return
        except (OSError, ValueError, struct.error):
            pass
    sock.settimeout(timeout)


class _OneWrite:
    """Send the request line, headers and a bytes body in a single ``send``."""

    timeout: Any
    sock: Any
    _kernel_timeouts = True

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        set_timeout(self.sock, self.timeout, self._kernel_timeouts)

    def set_timeout(self, timeout: float) -> None:
        self.timeout = timeout
        set_timeout(self.sock, timeout, self._kernel_timeouts)

    def _send_output(self, message_body: Any = None, encode_chunked: bool = False) -> None:
        buffer = getattr(self, "_buffer", None)
        if type(message_body) is bytes and not encode_chunked and type(buffer) is list:
            buffer.extend((b"", b""))
            head = b"\r\n".join(buffer)
            del buffer[:]
            self.send(head + message_body)  # type: ignore[attr-defined]
            return
        super()._send_output(message_body, encode_chunked)  # type: ignore[misc]


class Connection(_OneWrite, http.client.HTTPConnection):
    """Plain HTTP: one write per request, kernel timeouts."""


class TLSConnection(_OneWrite, http.client.HTTPSConnection):
    """HTTPS: one write per request; Python-level timeouts (TLS needs them)."""

    _kernel_timeouts = False
