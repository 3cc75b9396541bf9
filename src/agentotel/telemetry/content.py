"""Message content as JSON: made JSON-safe, redacted, and truncated without breaking the JSON.

Truncation shortens the longest strings first (each keeps a prefix and a
marker saying how much was cut) until the document fits the limit, so the
result always parses and keeps its structure: every message and part stays,
only string values get shorter.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

_MARK = "…[{} chars truncated]"
_MIN_KEEP = 16
_MAX_DEPTH = 32


def json_safe(value: Any, _depth: int = 0) -> Any:
    """Return a structure ``json.dumps`` accepts, whatever ``value`` holds.

    Pydantic models and dataclasses become dicts, bytes become base64 text,
    NaN/inf become strings, anything else unknown becomes ``str(value)``.
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if _depth > _MAX_DEPTH:
        return "…"
    if isinstance(value, Mapping):
        return {str(k): json_safe(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v, _depth + 1) for v in value]
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return json_safe(dump(mode="json", exclude_none=True), _depth + 1)
        except Exception:
            pass
    fields = getattr(value, "__dataclass_fields__", None)
    if isinstance(fields, dict):
        return {name: json_safe(getattr(value, name, None), _depth + 1) for name in fields}
    if isinstance(value, Sequence):
        return [json_safe(v, _depth + 1) for v in value]
    try:
        return str(value)
    except Exception:
        return f"<{type(value).__name__}>"


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _strings(value: Any, out: list[int]) -> None:
    if isinstance(value, str):
        out.append(len(value))
    elif isinstance(value, dict):
        for v in value.values():
            _strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _strings(v, out)


def _cap(value: Any, cap: int) -> Any:
    if isinstance(value, str):
        if len(value) <= cap:
            return value
        cut = len(value) - cap
        return value[:cap] + _MARK.format(cut)
    if isinstance(value, dict):
        return {k: _cap(v, cap) for k, v in value.items()}
    if isinstance(value, list):
        return [_cap(v, cap) for v in value]
    return value


def to_json(value: Any, limit: int) -> tuple[str, bool]:
    """Serialise ``value`` (already JSON-safe) to at most ``limit`` characters where possible.

    Returns the JSON text and whether anything was truncated. When even the
    structure alone exceeds the limit the shortest valid form is returned.
    """
    text = dumps(value)
    if limit <= 0 or len(text) <= limit:
        return text, False
    lengths: list[int] = []
    _strings(value, lengths)
    if not lengths:
        return text, False
    # Binary search the largest per-string cap whose document fits.
    lo, hi = 0, max(lengths)
    best = dumps(_cap(value, 0))
    while lo <= hi:
        mid = (lo + hi) // 2
        candidate = dumps(_cap(value, mid))
        if len(candidate) <= limit:
            best, lo = candidate, mid + 1
        else:
            hi = mid - 1
    return best, True


def serialize(name: str, value: Any, limit: int, redact: Any = None) -> tuple[str | None, bool]:
    """Make ``value`` safe, pass it through the redactor, and serialise it within ``limit``."""
    safe = json_safe(value)
    if redact is not None:
        safe = redact(name, safe)
        if safe is None:
            return None, False
        safe = json_safe(safe)
    if isinstance(safe, str):
        if limit > 0 and len(safe) > limit:
            keep = max(limit - len(_MARK.format(len(safe))), _MIN_KEEP)
            return safe[:keep] + _MARK.format(len(safe) - keep), True
        return safe, False
    return to_json(safe, limit)
