"""Message content as JSON: made JSON-safe, redacted, and truncated without breaking the JSON.

Truncation first shortens the longest strings (each keeps a prefix and a
marker saying how much was cut) until the document fits the limit. If the
structure alone is still too large (thousands of small items), trailing list
items are replaced by one marker string. The result always parses, keeps its
shape (objects keep their keys, lists keep their first items), and fits the
limit; as a last resort a small stub says how large the content was.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

_MARK = "…[{} chars truncated]"
_ITEMS_MARK = "…[{} items truncated]"
_MIN_KEEP = 16
_MAX_DEPTH = 32


def json_safe(value: Any, max_items: int | None = None, _depth: int = 0) -> Any:
    """Return a structure ``json.dumps`` accepts, whatever ``value`` holds.

    Pydantic models and dataclasses become dicts, bytes become base64 text,
    NaN/inf become strings, anything else unknown becomes ``str(value)``.
    Lists longer than ``max_items`` keep their first items and a marker, so a
    huge payload costs no more work than the limit can show.
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if _depth > _MAX_DEPTH:
        return "…"
    depth = _depth + 1
    if isinstance(value, Mapping):
        return {str(k): json_safe(v, max_items, depth) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (list, tuple, set, frozenset)) or (
        isinstance(value, Sequence) and not isinstance(value, str)
    ):
        items = value if isinstance(value, (list, tuple)) else list(value)
        if max_items is not None and len(items) > max_items:
            kept = [json_safe(v, max_items, depth) for v in items[:max_items]]
            kept.append(_ITEMS_MARK.format(len(items) - max_items))
            return kept
        return [json_safe(v, max_items, depth) for v in items]
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return json_safe(dump(mode="json", exclude_none=True), max_items, depth)
        except Exception:
            pass
    fields = getattr(value, "__dataclass_fields__", None)
    if isinstance(fields, dict):
        return {name: json_safe(getattr(value, name, None), max_items, depth) for name in fields}
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


def _longest_list(value: Any) -> int:
    if isinstance(value, dict):
        return max((_longest_list(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return max(len(value), max((_longest_list(v) for v in value), default=0))
    return 0


def _cap(value: Any, cap: int) -> Any:
    if isinstance(value, str):
        if len(value) <= cap or (value.startswith("…[") and value.endswith("truncated]")):
            return value
        return value[:cap] + _MARK.format(len(value) - cap)
    if isinstance(value, dict):
        return {k: _cap(v, cap) for k, v in value.items()}
    if isinstance(value, list):
        return [_cap(v, cap) for v in value]
    return value


def _trim(value: Any, keep: int) -> Any:
    if isinstance(value, dict):
        return {k: _trim(v, keep) for k, v in value.items()}
    if isinstance(value, list):
        items = [_trim(v, keep) for v in value[:keep]]
        if len(value) > keep:
            items.append(_ITEMS_MARK.format(len(value) - keep))
        return items
    return value


def _largest(lo: int, hi: int, fits: Callable[[int], str | None]) -> str | None:
    """The text for the largest ``n`` in ``[lo, hi]`` that fits (``fits`` grows with n)."""
    best = None
    while lo <= hi:
        mid = (lo + hi) // 2
        text = fits(mid)
        if text is not None:
            best, lo = text, mid + 1
        else:
            hi = mid - 1
    return best


def _fit_strings(value: Any, limit: int) -> str | None:
    lengths: list[int] = []
    _strings(value, lengths)

    def fits(cap: int) -> str | None:
        text = dumps(_cap(value, cap))
        return text if len(text) <= limit else None

    return _largest(0, max(lengths, default=0), fits)


def to_json(value: Any, limit: int) -> tuple[str, bool]:
    """Serialise ``value`` (already JSON-safe) to valid JSON of at most ``limit`` characters.

    Returns the text and whether anything was truncated.
    """
    text = dumps(value)
    if limit <= 0 or len(text) <= limit:
        return text, False
    fitted = _fit_strings(value, limit)
    if fitted is not None:
        return fitted, True

    def fits(keep: int) -> str | None:
        return _fit_strings(_trim(value, keep), limit)

    fitted = _largest(0, _longest_list(value), fits)
    if fitted is not None:
        return fitted, True
    stub = dumps({"truncated": True, "original_chars": len(text)})
    return stub if len(stub) <= limit else "null", True


def serialize(
    name: str,
    value: Any,
    limit: int,
    redact: Callable[[str, Any], Any] | None = None,
    as_json: bool = True,
) -> tuple[str | None, bool]:
    """Make ``value`` safe, pass it through the redactor, and serialise it within ``limit``.

    With ``as_json`` (message attributes) the result is always a JSON document; otherwise
    (tool arguments and results) a plain string is recorded as it is. ``None`` means the
    redactor dropped the value.
    """
    max_items = limit // 2 if limit > 0 else None
    safe = json_safe(value, max_items)
    if redact is not None:
        safe = redact(name, safe)
        if safe is None:
            return None, False
        safe = json_safe(safe, max_items)
    if isinstance(safe, str) and not as_json:
        if limit > 0 and len(safe) > limit:
            keep = max(limit - len(_MARK.format(len(safe))), _MIN_KEEP)
            return safe[:keep] + _MARK.format(len(safe) - keep), True
        return safe, False
    return to_json(safe, limit)
