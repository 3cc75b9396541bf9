"""Repairing span values SQLite would refuse, so a store batch never fails for one span.

Used only after a write failed (the common path pays nothing): text with lone
surrogates (a non-UTF-8 file name, a model reply cut mid-character) gets U+FFFD
in their place; integer columns outside SQLite's signed 64-bit range are clamped
(token counts to :data:`TOKEN_LIMIT`, so sums over many spans cannot overflow;
inside the JSON of attributes any integer is kept exactly);
NaN and infinities inside attributes become strings (SQLite's JSON functions
reject them); missing required text becomes ``""``. A repaired span carries
``agentotel.store.sanitized``: the fields that changed.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from agentotel import semconv
from agentotel.store.model import Event, Link, Span

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
TOKEN_LIMIT = 2**40
"""Token counts above this are clamped: 8 million such spans still sum inside 64 bits."""

_TEXT_FIELDS = (
    "trace_id", "span_id", "parent_id", "name", "kind", "status", "status_message",
    "error_type", "operation", "provider", "request_model", "response_model", "agent_name",
    "tool_name", "tool_call_id", "service_name", "run_id", "vcs_revision", "scope_name",
    "scope_version",
)  # fmt: skip
_REQUIRED_TEXT = ("trace_id", "span_id", "name", "kind", "status")
_TOKEN_FIELDS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens")


def text(value: str) -> str:
    """``value`` with lone surrogates replaced by U+FFFD (a valid surrogate pair is joined)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def clamp(value: int, low: int = INT64_MIN, high: int = INT64_MAX) -> int:
    return min(max(value, low), high)


def plain(value: Any) -> Any:
    """An attribute value that SQLite and its JSON functions accept, converted recursively."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, (bool, int)) or value is None:
        return value  # JSON text holds any integer exactly; only columns need clamping
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {text(str(k)): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return text(str(value))


def span(s: Span) -> Span:
    """A copy of ``s`` that SQLite will store; ``s`` itself is not changed."""
    changed: list[str] = []
    fixes: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        value = getattr(s, name)
        if value is None:
            if name in _REQUIRED_TEXT:
                fixes[name] = ""
                changed.append(name)
            continue
        fixed = text(value if isinstance(value, str) else str(value))
        if fixed is not value:
            fixes[name] = fixed
            changed.append(name)
    for name in ("start_ns", "end_ns"):
        value = getattr(s, name)
        fixed_ns = clamp(int(value)) if isinstance(value, (int, float)) else 0
        if fixed_ns != value or type(value) is not int:
            fixes[name] = fixed_ns
            changed.append(name)
    start = fixes.get("start_ns", s.start_ns)
    end = fixes.get("end_ns", s.end_ns)
    if end - start > INT64_MAX:  # a duration must fit a column too
        fixes["end_ns"] = start + INT64_MAX
        changed.append("end_ns")
    for name in _TOKEN_FIELDS:
        value = getattr(s, name)
        if value is None:
            continue
        fixed_tokens = clamp(int(value), 0, TOKEN_LIMIT) if isinstance(value, int) else None
        if fixed_tokens != value:
            fixes[name] = fixed_tokens
            changed.append(name)
    attributes = plain(s.attributes)
    if attributes != s.attributes:
        changed.append("attributes")
    fixes["attributes"] = attributes
    fixes["events"] = [Event(text(e.name), clamp(e.time_ns), plain(e.attributes)) for e in s.events]
    fixes["links"] = [
        Link(text(lk.trace_id), text(lk.span_id), plain(lk.attributes)) for lk in s.links
    ]
    fixes["resource"] = plain(s.resource)
    if changed:
        fixes["attributes"] = {**attributes, semconv.AGENTOTEL_STORE_SANITIZED: changed}
    return dataclasses.replace(s, **fixes)
