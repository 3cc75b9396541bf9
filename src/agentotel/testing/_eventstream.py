"""AWS event-stream framing (``application/vnd.amazon.eventstream``), the encoding side.

Bedrock's streaming operations send binary frames: a prelude (total length, headers
length, CRC32 of the two), headers, the payload and a CRC32 of the whole message.
botocore's ``EventStreamBuffer`` parses exactly this, checksums included.
"""

from __future__ import annotations

import binascii
import struct

_STRING = 7  # header value type: UTF-8 string with a 2-byte length


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return (
        struct.pack("!B", len(raw_name))
        + raw_name
        + struct.pack("!BH", _STRING, len(raw_value))
        + raw_value
    )


def frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message with the given string headers and payload."""
    encoded = b"".join(_header(name, value) for name, value in headers.items())
    total = 12 + len(encoded) + len(payload) + 4
    prelude = struct.pack("!II", total, len(encoded))
    prelude += struct.pack("!I", binascii.crc32(prelude) & 0xFFFFFFFF)
    body = prelude + encoded + payload
    return body + struct.pack("!I", binascii.crc32(body) & 0xFFFFFFFF)


def event(event_type: str, payload: bytes) -> bytes:
    """An ``event`` message of type ``event_type`` carrying a JSON payload."""
    return frame(
        {
            ":event-type": event_type,
            ":content-type": "application/json",
            ":message-type": "event",
        },
        payload,
    )


def exception(exception_type: str, payload: bytes) -> bytes:
    """An ``exception`` message: botocore raises it from the stream as ``EventStreamError``."""
    return frame(
        {
            ":exception-type": exception_type,
            ":content-type": "application/json",
            ":message-type": "exception",
        },
        payload,
    )
