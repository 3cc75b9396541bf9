"""Reading the small protobuf messages an OTLP receiver sends back."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PartialSuccess:
    """``ExportTracePartialSuccess``: spans the receiver rejected, and why."""

    rejected_spans: int = 0
    error_message: str = ""


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _fields(data: bytes) -> list[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) for each field; unknown wire types raise."""
    out: list[tuple[int, int, int | bytes]] = []
    pos = 0
    end = len(data)
    while pos < end:
        key, pos = _read_varint(data, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(data, pos)
            out.append((field, wire, value))
        elif wire == 1:
            out.append((field, wire, data[pos : pos + 8]))
            pos += 8
        elif wire == 2:
            size, pos = _read_varint(data, pos)
            if pos + size > end:
                raise ValueError("truncated field")
            out.append((field, wire, data[pos : pos + size]))
            pos += size
        elif wire == 5:
            out.append((field, wire, data[pos : pos + 4]))
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
    if pos != end:
        raise ValueError("truncated message")
    return out


def parse_partial_success(body: bytes) -> PartialSuccess | None:
    """The partial success in an ``ExportTraceServiceResponse`` body, or None if absent.

    A body that does not parse is treated as full success, as the OTLP spec
    asks clients not to fail an export on an unreadable response.
    """
    if not body:
        return None
    try:
        for field, wire, value in _fields(body):
            if field == 1 and wire == 2 and isinstance(value, bytes):
                rejected = 0
                message = ""
                for inner_field, inner_wire, inner in _fields(value):
                    if inner_field == 1 and inner_wire == 0 and isinstance(inner, int):
                        rejected = inner - (1 << 64) if inner >= 1 << 63 else inner
                    elif inner_field == 2 and inner_wire == 2 and isinstance(inner, bytes):
                        message = inner.decode("utf-8", "replace")
                if rejected or message:
                    return PartialSuccess(max(rejected, 0), message)
                return None
    except (ValueError, IndexError):
        return None
    return None
