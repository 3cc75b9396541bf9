"""Parsing what users type: times, durations, ``attribute=value`` conditions, statuses."""

from __future__ import annotations

import datetime as _dt
import time

from agentotel.store.model import WHERE_OPS, AttrCondition
from agentotel.store.settings import parse_duration

LATEST = ("last", "latest")
"""What ``trace`` and ``run`` accept for the most recent one."""

PREVIOUS = "previous"
"""What ``run`` accepts for the run before the most recent one."""

_OP_CHARS = "=!<>~"


def parse_time(value: str | float | _dt.datetime | None, now_ns: int | None = None) -> int | None:
    """A point in time as epoch nanoseconds.

    Accepts a duration ago (``"90s"``, ``"1h"``, ``"7d"``), an ISO-8601 timestamp
    (UTC unless it carries an offset), a datetime, or epoch seconds.
    """
    if value is None:
        return None
    now_ns = time.time_ns() if now_ns is None else now_ns
    if isinstance(value, _dt.datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)
        return int(stamp.timestamp() * 1e9)
    if isinstance(value, (int, float)):
        return int(value * 1e9)
    text = value.strip()
    try:
        return now_ns - int(parse_duration(text) * 1e9)
    except ValueError:
        pass
    try:
        stamp = _dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"not a time: {value!r} (use a duration ago like 30m, 1h, 2d, or an ISO-8601 time)"
        ) from None
    return parse_time(stamp)


def parse_where(expr: str | AttrCondition) -> AttrCondition:
    """``"gen_ai.request.model=gpt-4o"`` as a condition; operators are :data:`WHERE_OPS`.

    Raises ValueError for an operator that is not one of them (``==``, ``=~``, ``<>``...).
    """
    if isinstance(expr, AttrCondition):
        if expr.op not in WHERE_OPS:
            raise ValueError(_bad_op(expr.op))
        return expr
    best: tuple[int, str] | None = None
    for op in ("!=", ">=", "<=", "=", ">", "<", "~"):
        at = expr.find(op)
        if at > 0 and (best is None or at < best[0] or (at == best[0] and len(op) > len(best[1]))):
            best = (at, op)
    if best is None:
        raise ValueError(
            f"not a condition: {expr!r} (expected attribute=value; operators: {' '.join(WHERE_OPS)})"
        )
    at, op = best
    key = expr[:at].strip()
    value = expr[at + len(op) :].strip()
    if not key:
        raise ValueError(f"not a condition: {expr!r} (missing attribute name)")
    if key[-1] in _OP_CHARS or value[:1] in _OP_CHARS:
        tail = len(key) - len(key.rstrip(_OP_CHARS))
        head = len(value) - len(value.lstrip(_OP_CHARS))
        raise ValueError(_bad_op(key[len(key) - tail :] + op + value[:head]))
    return AttrCondition(key=key, op=op, value=value)


def _bad_op(op: str) -> str:
    return f"unsupported operator {op!r} in --where (use one of {' '.join(WHERE_OPS)})"


def duration_ns(value: str | float | None) -> int | None:
    """A duration as nanoseconds; a bare number means milliseconds."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value * 1e6)
    return int(parse_duration(value, default_unit="ms") * 1e9)


def check_status(status: str | None) -> str | None:
    if status is None:
        return None
    status = status.lower()
    if status not in ("error", "ok"):
        raise ValueError(f"status must be 'error' or 'ok', not {status!r}")
    return status
