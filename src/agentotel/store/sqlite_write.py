"""Writing spans into a SQLite store: rows, the trace summaries and the hourly roll-ups.

Every function runs inside the caller's write transaction. Values are
sanitized first (:mod:`agentotel.store.sanitize`), so one odd span cannot make
SQLite reject a batch.
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from agentotel import semconv
from agentotel.store.model import LLM_OPERATIONS, Span, SpanEvents

BUCKETS_PER_E = 20
"""Duration buckets per factor of e (about 5% wide): percentiles of large groups come from them."""

_SPAN_COLUMNS = (
    "trace_id, span_id, parent_id, parent_is_remote, name, kind, start_ns, end_ns, "
    "duration_ns, duration_bucket, status, status_message, error_type, operation, provider, "
    "request_model, response_model, agent_name, tool_name, tool_call_id, input_tokens, "
    "output_tokens, cache_read_tokens, cache_creation_tokens, service_name, run_id, "
    "vcs_revision, scope_name, resource_id"
)
_INSERT_SPAN = f"INSERT OR IGNORE INTO spans ({_SPAN_COLUMNS}) VALUES ({', '.join('?' * 29)})"
_INSERT_DATA = (
    "INSERT OR REPLACE INTO span_data (span_id, attributes, events, links, scope_version) "
    "VALUES (?, ?, ?, ?, ?)"
)
_BETTER_ROOT = (
    "(excluded.root_rank < traces.root_rank OR (excluded.root_rank = traces.root_rank "
    "AND excluded.root_start_ns < traces.root_start_ns))"
)
_UPSERT_TRACE = f"""
INSERT INTO traces (trace_id, start_ns, end_ns, root_rank, root_start_ns, root_name,
    root_span_id, span_count, llm_calls, tool_calls, input_tokens, output_tokens,
    cache_read_tokens, cache_creation_tokens, error_count, service_name, run_id, vcs_revision)
VALUES ({", ".join("?" * 18)})
ON CONFLICT (trace_id) DO UPDATE SET
    start_ns = min(traces.start_ns, excluded.start_ns),
    end_ns = max(traces.end_ns, excluded.end_ns),
    root_rank = CASE WHEN {_BETTER_ROOT} THEN excluded.root_rank ELSE traces.root_rank END,
    root_start_ns = CASE WHEN {_BETTER_ROOT}
        THEN excluded.root_start_ns ELSE traces.root_start_ns END,
    root_name = CASE WHEN {_BETTER_ROOT} THEN excluded.root_name ELSE traces.root_name END,
    root_span_id = CASE WHEN {_BETTER_ROOT}
        THEN excluded.root_span_id ELSE traces.root_span_id END,
    service_name = CASE WHEN {_BETTER_ROOT}
        THEN coalesce(excluded.service_name, traces.service_name)
        ELSE coalesce(traces.service_name, excluded.service_name) END,
    run_id = CASE WHEN {_BETTER_ROOT}
        THEN coalesce(excluded.run_id, traces.run_id)
        ELSE coalesce(traces.run_id, excluded.run_id) END,
    vcs_revision = CASE WHEN {_BETTER_ROOT}
        THEN coalesce(excluded.vcs_revision, traces.vcs_revision)
        ELSE coalesce(traces.vcs_revision, excluded.vcs_revision) END,
    span_count = traces.span_count + excluded.span_count,
    llm_calls = traces.llm_calls + excluded.llm_calls,
    tool_calls = traces.tool_calls + excluded.tool_calls,
    input_tokens = traces.input_tokens + excluded.input_tokens,
    output_tokens = traces.output_tokens + excluded.output_tokens,
    cache_read_tokens = traces.cache_read_tokens + excluded.cache_read_tokens,
    cache_creation_tokens = traces.cache_creation_tokens + excluded.cache_creation_tokens,
    error_count = traces.error_count + excluded.error_count
"""

_UPSERT_ROLLUP = """
INSERT INTO rollup (dim, run_id, hour, key, model, bucket, count, errors, input_tokens,
    output_tokens, cache_read_tokens, cache_creation_tokens, min_ns, max_ns)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (dim, run_id, hour, key, model, bucket) DO UPDATE SET
    count = count + excluded.count,
    errors = errors + excluded.errors,
    input_tokens = input_tokens + excluded.input_tokens,
    output_tokens = output_tokens + excluded.output_tokens,
    cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
    cache_creation_tokens = cache_creation_tokens + excluded.cache_creation_tokens,
    min_ns = min(min_ns, excluded.min_ns),
    max_ns = max(max_ns, excluded.max_ns)
"""

HOUR_NS = 3600 * 10**9
ROLLUP_DIMS = ("operation", "model", "provider", "tool", "agent")
ALL_RUNS = "\x00"  # the rollup rows that aggregate every run (no real run id is a NUL)


def duration_bucket(duration_ns: int) -> int:
    """The log-scale bucket of a duration (bucket ``b`` spans ``e**(b/20)`` to ``e**((b+1)/20)`` ns)."""
    return int(math.log(max(duration_ns, 1)) * BUCKETS_PER_E)


def _rollup_keys(s: Span) -> list[tuple[str, str]]:
    """The (dimension, key) cells a span counts in; mirrors the membership rules of ``sqlite_stats._GROUPS``.

    Service, run and name are left out: they are cheap to scan through their own indexes
    or rarely asked over a whole store, and would multiply the rollup's size.
    """
    keys = [("operation", s.operation or "")]
    if s.operation in LLM_OPERATIONS:
        keys.append(("model", s.model or ""))
        keys.append(("provider", s.provider or ""))
    if s.tool_name is not None:
        keys.append(("tool", s.tool_name))
    if s.operation == semconv.OP_INVOKE_AGENT:
        keys.append(("agent", s.agent_name or ""))
    return keys


def _dumps(value: Any) -> str:
    return json.dumps(
        value, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=str
    )


def resource_id(
    conn: sqlite3.Connection, text: str, known: dict[str, int], pending: dict[str, int]
) -> int:
    """The row id of a resource's JSON text, inserting it if new (``pending`` collects new ones)."""
    found = known.get(text) or pending.get(text)
    if found is not None:
        return found
    digest = hashlib.sha256(text.encode()).hexdigest()
    conn.execute("INSERT OR IGNORE INTO resources (hash, attributes) VALUES (?, ?)", (digest, text))
    row = conn.execute("SELECT id FROM resources WHERE hash = ?", (digest,)).fetchone()
    pending[text] = int(row[0])
    return pending[text]


def insert(
    conn: sqlite3.Connection, spans: Sequence[Span], known: dict[str, int]
) -> tuple[list[Span], dict[str, int]]:
    pending: dict[str, int] = {}
    resource_text: dict[int, str] = {}  # by id(): every span of a batch shares one dict
    rows = []
    for s in spans:
        key = id(s.resource)
        text = resource_text.get(key)
        if text is None:
            text = resource_text[key] = _dumps(dict(sorted(s.resource.items())))
        duration = s.end_ns - s.start_ns
        if duration < 0:
            duration = 0
        rows.append(
            (
                s.trace_id, s.span_id, s.parent_id, int(s.parent_is_remote), s.name, s.kind,
                s.start_ns, s.end_ns, duration, duration_bucket(duration), s.status,
                s.status_message, s.error_type, s.operation, s.provider, s.request_model,
                s.response_model, s.agent_name, s.tool_name, s.tool_call_id, s.input_tokens,
                s.output_tokens, s.cache_read_tokens, s.cache_creation_tokens, s.service_name,
                s.run_id, s.vcs_revision, s.scope_name,
                resource_id(conn, text, known, pending),
            )
        )  # fmt: skip
    # We hold the write lock, so the rows this statement adds are exactly those above the
    # current largest id; spans already stored (a repeated import) are skipped.
    before = conn.execute("SELECT coalesce(max(id), 0) FROM spans").fetchone()[0]
    conn.executemany(_INSERT_SPAN, rows)
    added = {
        (tid, sid): rowid
        for rowid, tid, sid in conn.execute(
            "SELECT id, trace_id, span_id FROM spans WHERE id > ?", (before,)
        )
    }
    if not added:
        return [], pending
    new: list[Span] = []
    data = []
    for s in spans:
        rowid = added.pop((s.trace_id, s.span_id), None)
        if rowid is None:
            continue  # a duplicate, already stored (or repeated within this batch)
        new.append(s)
        data.append(
            (
                rowid,
                _dumps(s.attributes),
                _dumps([[e.name, e.time_ns, e.attributes] for e in s.events]) if s.events else None,
                _dumps([[lk.trace_id, lk.span_id, lk.attributes] for lk in s.links])
                if s.links
                else None,
                s.scope_version,
            )
        )
    conn.executemany(_INSERT_DATA, data)
    return new, pending


def upsert_traces(conn: sqlite3.Connection, spans: Iterable[Span]) -> None:
    agg: dict[str, list[Any]] = {}
    for s in spans:
        rank = 0 if s.parent_id is None else 1 if s.parent_is_remote else 2
        is_llm = s.operation in LLM_OPERATIONS
        row = agg.get(s.trace_id)
        if row is None:
            row = agg[s.trace_id] = [
                s.trace_id, s.start_ns, s.end_ns, rank, s.start_ns, s.name, s.span_id,
                0, 0, 0, 0, 0, 0, 0, 0, s.service_name, s.run_id, s.vcs_revision,
            ]  # fmt: skip
        else:
            row[1] = min(row[1], s.start_ns)
            row[2] = max(row[2], s.end_ns)
            if (rank, s.start_ns) < (row[3], row[4]):
                row[3:7] = [rank, s.start_ns, s.name, s.span_id]
                row[15] = s.service_name or row[15]
                row[16] = s.run_id or row[16]
                row[17] = s.vcs_revision or row[17]
        row[7] += 1
        if is_llm:
            row[8] += 1
            row[10] += s.input_tokens or 0
            row[11] += s.output_tokens or 0
            row[12] += s.cache_read_tokens or 0
            row[13] += s.cache_creation_tokens or 0
        if s.operation == semconv.OP_EXECUTE_TOOL:
            row[9] += 1
        if s.status == "error":
            row[14] += 1
    if agg:
        conn.executemany(_UPSERT_TRACE, list(agg.values()))


def upsert_rollup(conn: sqlite3.Connection, spans: Iterable[Span]) -> None:
    cells: dict[tuple[str, str, int, str, str, int], list[int]] = {}
    for s in spans:
        run = s.run_id or ""
        duration = s.end_ns - s.start_ns
        if duration < 0:
            duration = 0
        bucket = duration_bucket(duration)
        hour = s.start_ns // HOUR_NS
        has_tokens = s.input_tokens is not None or s.output_tokens is not None
        model = (s.model or "") if has_tokens else ""
        facts = (
            1,
            int(s.status == "error"),
            s.input_tokens or 0,
            s.output_tokens or 0,
            s.cache_read_tokens or 0,
            s.cache_creation_tokens or 0,
        )
        for dim, key in _rollup_keys(s):
            for rollup_run in (run, ALL_RUNS):
                cell_key = (dim, rollup_run, hour, key, model, bucket)
                cell = cells.get(cell_key)
                if cell is None:
                    cells[cell_key] = [*facts, duration, duration]
                    continue
                for i in range(6):
                    cell[i] += facts[i]
                if duration < cell[6]:
                    cell[6] = duration
                elif duration > cell[7]:
                    cell[7] = duration
    if cells:
        conn.executemany(_UPSERT_ROLLUP, [(*k, *v) for k, v in cells.items()])


def add_events(conn: sqlite3.Connection, updates: Sequence[SpanEvents]) -> int:
    """Append events to stored spans (see :class:`SpanEvents`); returns how many were added."""
    added = 0
    for u in updates:
        row = conn.execute(
            "SELECT s.id, d.events FROM spans s JOIN span_data d ON d.span_id = s.id "
            "WHERE s.trace_id = ? AND s.span_id = ?",
            (u.trace_id, u.span_id),
        ).fetchone()
        if row is None:
            continue
        replaced = {_event_key(e.name, e.attributes, u.replace_keys) for e in u.events}
        kept = [
            e
            for e in json.loads(row[1] or "[]")
            if _event_key(e[0], e[2], u.replace_keys) not in replaced
        ]
        kept += [[e.name, e.time_ns, e.attributes] for e in u.events]
        conn.execute(
            "UPDATE span_data SET events = ? WHERE span_id = ?",
            (json.dumps(kept, separators=(",", ":"), ensure_ascii=False), row[0]),
        )
        added += len(u.events)
    return added


def _event_key(name: str, attributes: dict[str, Any], keys: tuple[str, ...]) -> tuple[Any, ...]:
    return (name, *(json.dumps(attributes.get(k), sort_keys=True, default=str) for k in keys))
