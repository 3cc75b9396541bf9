"""Reading a SQLite store: trace lists, spans, filters and per-trace usage, as store records.

Every function takes an open connection and returns :mod:`agentotel.store.model`
records; the caller (:class:`agentotel.store.sqlite.SQLiteStore`) holds the lock
and maps SQLite errors to store errors.
"""

from __future__ import annotations

import contextlib
import json
import math
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from agentotel.store.model import (
    LLM_OPERATIONS,
    WHERE_OPS,
    AttributeKey,
    Event,
    Link,
    ModelUsage,
    Span,
    SpanFilter,
    TraceFilter,
    TraceSummary,
)
from agentotel.store.sanitize import INT64_MAX, INT64_MIN

_SELECT_SPAN = (
    "s.trace_id, s.span_id, s.parent_id, s.parent_is_remote, s.name, s.kind, s.start_ns, "
    "s.end_ns, s.status, s.status_message, s.error_type, s.operation, s.provider, "
    "s.request_model, s.response_model, s.agent_name, s.tool_name, s.tool_call_id, "
    "s.input_tokens, s.output_tokens, s.cache_read_tokens, s.cache_creation_tokens, "
    "s.service_name, s.run_id, s.vcs_revision, s.scope_name"
)
_SELECT_FULL = ", d.attributes, d.events, d.links, d.scope_version, r.attributes"
_FROM_FULL = (
    " LEFT JOIN span_data d ON d.span_id = s.id LEFT JOIN resources r ON r.id = s.resource_id"
)
_TRACE_COLUMNS = (
    "t.trace_id, t.root_name, t.root_span_id, t.start_ns, t.end_ns, t.span_count, t.llm_calls, "
    "t.tool_calls, t.input_tokens, t.output_tokens, t.cache_read_tokens, "
    "t.cache_creation_tokens, t.error_count, t.service_name, t.run_id, t.vcs_revision, "
    "r.status, r.error_type"
)
# The root span's status is read through the (trace_id, span_id) index, one lookup per row.
_TRACE_FROM = "traces t LEFT JOIN spans r ON r.trace_id = t.trace_id AND r.span_id = t.root_span_id"
LLM_IN = "(" + ", ".join(f"'{op}'" for op in LLM_OPERATIONS) + ")"

_COLUMN_ALIASES = {  # every key of WHERE_COLUMNS
    "name": "s.name",
    "kind": "s.kind",
    "status": "s.status",
    "trace_id": "s.trace_id",
    "span_id": "s.span_id",
    "parent_id": "s.parent_id",
    "duration_ns": "s.duration_ns",
    "service": "s.service_name",
    "run": "s.run_id",
    "operation": "s.operation",
    "provider": "s.provider",
    "model": "coalesce(s.response_model, s.request_model)",
    "request_model": "s.request_model",
    "response_model": "s.response_model",
    "agent": "s.agent_name",
    "tool": "s.tool_name",
    "tool_call_id": "s.tool_call_id",
    "error_type": "s.error_type",
    "commit": "s.vcs_revision",
}


def fetch(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of ``sql``; integer parameters (limits, times) are held inside SQLite's 64 bits."""
    bound = [min(max(p, INT64_MIN), INT64_MAX) if type(p) is int else p for p in params]
    return conn.execute(sql, bound).fetchall()


def _number(value: int | float) -> int | float:
    """A compared number SQLite can bind: an integer past 64 bits becomes a float (or infinity)."""
    if type(value) is int and not INT64_MIN <= value <= INT64_MAX:
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    return value


def list_traces(conn: sqlite3.Connection, flt: TraceFilter) -> list[TraceSummary]:
    where: list[str] = []
    params: list[Any] = []
    if flt.since_ns is not None:
        where.append("t.start_ns >= ?")
        params.append(flt.since_ns)
    if flt.until_ns is not None:
        where.append("t.start_ns < ?")
        params.append(flt.until_ns)
    if flt.run_id is not None:
        where.append("t.run_id = ?")
        params.append(flt.run_id)
    if flt.service is not None:
        where.append("t.service_name = ?")
        params.append(flt.service)
    if flt.status == "error":
        where.append("t.error_count > 0")
    elif flt.status == "ok":
        where.append("t.error_count = 0")
    if flt.failed:
        # A failed run has an erring span, so the error count narrows the lookups first.
        where.append("t.error_count > 0 AND r.status = 'error'")
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    rows = fetch(
        conn,
        f"SELECT {_TRACE_COLUMNS} FROM {_TRACE_FROM}{clause} ORDER BY t.start_ns DESC LIMIT ?",
        [*params, flt.limit],
    )
    return [trace_row(row) for row in rows]


def trace_row(row: Sequence[Any]) -> TraceSummary:
    """A :class:`TraceSummary` from a row of ``_TRACE_COLUMNS``."""
    summary = TraceSummary(*row[:16])
    summary.status = "error" if row[16] == "error" else "ok"
    summary.error_type = row[17] if row[16] == "error" else None
    return summary


def trace_summary(conn: sqlite3.Connection, trace_id: str) -> TraceSummary | None:
    rows = fetch(
        conn, f"SELECT {_TRACE_COLUMNS} FROM {_TRACE_FROM} WHERE t.trace_id = ?", [trace_id]
    )
    return trace_row(rows[0]) if rows else None


def resolve_trace_id(conn: sqlite3.Connection, prefix: str, limit: int = 5) -> list[str]:
    prefix = prefix.lower()
    rows = fetch(
        conn,
        "SELECT trace_id FROM traces WHERE trace_id >= ? AND trace_id < ? LIMIT ?",
        [prefix, prefix + "~", limit],
    )
    return [row[0] for row in rows]


def latest_trace_id(conn: sqlite3.Connection) -> str | None:
    rows = fetch(conn, "SELECT trace_id FROM traces ORDER BY start_ns DESC LIMIT 1")
    return rows[0][0] if rows else None


def latest_run_id(conn: sqlite3.Connection) -> str | None:
    rows = fetch(
        conn, "SELECT run_id FROM traces WHERE run_id IS NOT NULL ORDER BY start_ns DESC LIMIT 1"
    )
    return rows[0][0] if rows else None


def run_ids(conn: sqlite3.Connection, limit: int) -> list[str]:
    rows = fetch(
        conn,
        "SELECT run_id FROM traces WHERE run_id IS NOT NULL GROUP BY run_id "
        "ORDER BY max(start_ns) DESC LIMIT ?",
        [limit],
    )
    return [row[0] for row in rows]


def revisions(conn: sqlite3.Connection, limit: int) -> list[str]:
    rows = fetch(
        conn,
        "SELECT vcs_revision FROM traces WHERE vcs_revision IS NOT NULL GROUP BY vcs_revision "
        "ORDER BY max(start_ns) DESC LIMIT ?",
        [limit],
    )
    return [row[0] for row in rows]


def resolve_span_id(conn: sqlite3.Connection, prefix: str, limit: int) -> list[tuple[str, str]]:
    # No index leads with span_id: a range over the text is a scan of the narrow table.
    prefix = prefix.lower()
    rows = fetch(
        conn,
        "SELECT trace_id, span_id FROM spans WHERE span_id >= ? AND span_id < ? LIMIT ?",
        [prefix, prefix + "~", limit],
    )
    return [(row[0], row[1]) for row in rows]


def cost_views(
    conn: sqlite3.Connection, prices: Callable[[str | None, int, int, int, int], float | None]
) -> None:
    """The temporary views ``span_costs`` and ``trace_costs`` on this connection, priced by
    ``prices`` (registered as the SQL function ``agentotel_cost``)."""

    def cost(model: str | None, tin: int, tout: int, tcr: int, tcc: int) -> float | None:
        value = prices(model, tin or 0, tout or 0, tcr or 0, tcc or 0)
        return None if value is None else round(value, 6)

    conn.create_function("agentotel_cost", 5, cost, deterministic=True)
    conn.execute("PRAGMA query_only = OFF")  # temporary views live outside the store file
    try:
        conn.execute(
            "CREATE TEMP VIEW IF NOT EXISTS span_costs AS SELECT s.trace_id, s.span_id, "
            "s.run_id, s.operation, s.name, coalesce(s.response_model, s.request_model) AS model, "
            "s.input_tokens, s.output_tokens, s.cache_read_tokens, s.cache_creation_tokens, "
            "s.start_ns, agentotel_cost(coalesce(s.response_model, s.request_model), "
            "s.input_tokens, s.output_tokens, s.cache_read_tokens, s.cache_creation_tokens) "
            f"AS cost_usd FROM main.spans s WHERE s.operation IN {LLM_IN} "
            "AND (s.input_tokens IS NOT NULL OR s.output_tokens IS NOT NULL)"
        )
        conn.execute(
            "CREATE TEMP VIEW IF NOT EXISTS trace_costs AS SELECT trace_id, run_id, "
            "count(*) AS llm_calls, count(cost_usd) AS priced_calls, sum(cost_usd) AS cost_usd "
            "FROM span_costs GROUP BY trace_id"
        )
    finally:
        conn.execute("PRAGMA query_only = ON")


def tables(conn: sqlite3.Connection) -> dict[str, list[str]]:
    names = fetch(
        conn,
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
        "AND name NOT LIKE 'sqlite_%' AND name NOT IN ('agentotel_schema', 'meta') "
        "UNION ALL SELECT name FROM sqlite_temp_master WHERE type = 'view' ORDER BY 1",
    )
    return {
        name: [row[1] for row in fetch(conn, f"PRAGMA table_info('{name}')")] for (name,) in names
    }


def has_attribute(conn: sqlite3.Connection, key: str) -> bool:
    if '"' in key:
        return False
    rows = fetch(
        conn,
        "SELECT 1 FROM span_data WHERE json_type(attributes, ?) IS NOT NULL LIMIT 1",
        [f'$."{key}"'],
    )
    return bool(rows)


def attribute_keys(conn: sqlite3.Connection, sample: int) -> list[AttributeKey]:
    rows = fetch(
        conn,
        "SELECT j.key, count(*), min(j.value), max(j.value) FROM "
        "(SELECT attributes FROM span_data ORDER BY span_id DESC LIMIT ?) d, "
        "json_each(d.attributes) j GROUP BY j.key ORDER BY count(*) DESC, j.key",
        [sample],
    )
    out: list[AttributeKey] = []
    for key, count, low, high in rows:
        examples = [_clip(low)] if low == high else [_clip(low), _clip(high)]
        out.append(AttributeKey(key, count, examples))
    return out


def _clip(value: Any) -> Any:
    return value if not isinstance(value, str) or len(value) <= 80 else value[:80] + "..."


def trace_spans(conn: sqlite3.Connection, trace_id: str) -> list[Span]:
    rows = fetch(
        conn,
        f"SELECT {_SELECT_SPAN}{_SELECT_FULL} FROM spans s{_FROM_FULL} "
        "WHERE s.trace_id = ? ORDER BY s.start_ns, s.id",
        [trace_id],
    )
    return [row_span(row, full=True) for row in rows]


def find_spans(conn: sqlite3.Connection, flt: SpanFilter, full: bool = False) -> list[Span]:
    clause, params, needs_data = span_where(flt, join=False)
    if full or needs_data:
        sql = f"SELECT {_SELECT_SPAN}{_SELECT_FULL} FROM spans s{_FROM_FULL}{clause}"
    else:
        sql = f"SELECT {_SELECT_SPAN} FROM spans s{clause}"
    order = "s.duration_ns DESC" if flt.sort == "duration" else "s.start_ns DESC"
    rows = fetch(conn, f"{sql} ORDER BY {order} LIMIT ?", [*params, flt.limit])
    return [row_span(row, full=full) for row in rows]


def span_where(
    flt: SpanFilter, extra: str | None = None, join: bool = True
) -> tuple[str, list[Any], bool]:
    """The WHERE clause (joined to ``span_data`` if ``join`` and a condition needs it)."""
    where: list[str] = [extra] if extra else []
    params: list[Any] = []

    def eq(column: str, value: Any) -> None:
        where.append(f"{column} = ?")
        params.append(value)

    if flt.operation is not None:
        eq("s.operation", flt.operation)
    if flt.model is not None:
        where.append("(s.request_model = ? OR s.response_model = ?)")
        params += [flt.model, flt.model]
    if flt.tool is not None:
        eq("s.tool_name", flt.tool)
    if flt.agent is not None:
        eq("s.agent_name", flt.agent)
    if flt.name is not None:
        eq("s.name", flt.name)
    if flt.status == "error":
        where.append("s.status = 'error'")
    elif flt.status == "ok":
        where.append("s.status != 'error'")
    if flt.min_duration_ns is not None:
        where.append("s.duration_ns >= ?")
        params.append(flt.min_duration_ns)
    if flt.trace_id is not None:
        eq("s.trace_id", flt.trace_id)
    if flt.since_ns is not None:
        where.append("s.start_ns >= ?")
        params.append(flt.since_ns)
    if flt.until_ns is not None:
        where.append("s.start_ns < ?")
        params.append(flt.until_ns)
    if flt.run_id is not None:
        eq("s.run_id", flt.run_id)
    if flt.service is not None:
        eq("s.service_name", flt.service)
    needs_data = False
    for cond in flt.where:
        if cond.op not in WHERE_OPS:
            raise ValueError(f"unsupported operator {cond.op!r}")
        column = _COLUMN_ALIASES.get(cond.key)
        if column is None:
            if '"' in cond.key:
                raise ValueError(f"attribute names cannot contain quotes: {cond.key!r}")
            column = "json_extract(d.attributes, ?)"
            params.append(f'$."{cond.key}"')
            needs_data = True
        value: Any = cond.value
        with contextlib.suppress(ValueError):
            value = float(cond.value) if "." in cond.value else int(cond.value)
        if cond.value.lower() in ("true", "false"):
            value = cond.value.lower() == "true"
        if cond.op == "~":
            where.append(f"instr(CAST({column} AS TEXT), ?) > 0")
            value = cond.value
        elif cond.op == "!=":  # a span without the attribute is not equal either
            where.append(f"{column} IS NOT ?")
        else:
            where.append(f"{column} {cond.op} ?")
        params.append(value)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    if needs_data and join:
        clause = " LEFT JOIN span_data d ON d.span_id = s.id" + clause
    return clause, params, needs_data


def row_span(row: Sequence[Any], full: bool) -> Span:
    span = Span(
        trace_id=row[0],
        span_id=row[1],
        parent_id=row[2],
        parent_is_remote=bool(row[3]),
        name=row[4],
        kind=row[5],
        start_ns=row[6],
        end_ns=row[7],
        status=row[8],
        status_message=row[9],
        error_type=row[10],
        operation=row[11],
        provider=row[12],
        request_model=row[13],
        response_model=row[14],
        agent_name=row[15],
        tool_name=row[16],
        tool_call_id=row[17],
        input_tokens=row[18],
        output_tokens=row[19],
        cache_read_tokens=row[20],
        cache_creation_tokens=row[21],
        service_name=row[22],
        run_id=row[23],
        vcs_revision=row[24],
        scope_name=row[25],
    )
    if full and len(row) > 26:
        span.attributes = json.loads(row[26]) if row[26] else {}
        span.events = [Event(n, t, a) for n, t, a in json.loads(row[27] or "[]")]
        span.links = [Link(t, s, a) for t, s, a in json.loads(row[28] or "[]")]
        span.scope_version = row[29]
        span.resource = json.loads(row[30]) if row[30] else {}
    return span


def usage_by_trace(
    conn: sqlite3.Connection, trace_ids: Iterable[str]
) -> dict[str, list[ModelUsage]]:
    ids = list(trace_ids)
    out: dict[str, list[ModelUsage]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = fetch(
            conn,
            "SELECT s.trace_id, coalesce(s.request_model, s.response_model) AS m, count(*), "
            "sum(coalesce(s.input_tokens, 0)), sum(coalesce(s.output_tokens, 0)), "
            "sum(coalesce(s.cache_read_tokens, 0)), "
            "sum(coalesce(s.cache_creation_tokens, 0)) FROM spans s "
            f"WHERE s.trace_id IN ({', '.join('?' * len(chunk))}) "
            # "+" keeps the planner on the trace index rather than the operation one.
            f"AND +s.operation IN {LLM_IN} GROUP BY s.trace_id, m",
            chunk,
        )
        for tid, m, n, tin, tout, tcr, tcc in rows:
            out.setdefault(tid, []).append(ModelUsage(m, n, tin, tout, tcr, tcc))
    return out
