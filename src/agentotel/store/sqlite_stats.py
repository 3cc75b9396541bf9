"""Aggregates over a SQLite store: per-group counts, errors, latency percentiles and usage.

Small selections are aggregated exactly from ``spans``; time-window-only stats
over a big store read whole hours from the ``rollup`` table and only the partial
hours at the edges from ``spans``, with percentiles from the duration buckets.
"""

from __future__ import annotations

import dataclasses
import math
import sqlite3
from collections.abc import Sequence
from typing import Any

from agentotel import semconv
from agentotel.store.model import GroupStats, KindStats, ModelUsage, SpanFilter
from agentotel.store.sqlite_read import LLM_IN, fetch, span_where
from agentotel.store.sqlite_write import ALL_RUNS, BUCKETS_PER_E, HOUR_NS, ROLLUP_DIMS

EXACT_PERCENTILE_LIMIT = 50_000
"""Up to this many matching spans, percentiles are computed exactly."""

# stats --by KEY: the grouping expression and the spans that belong in such a group.
_GROUPS: dict[str, tuple[str, str | None]] = {
    "operation": ("s.operation", None),
    "model": ("coalesce(s.request_model, s.response_model)", f"s.operation IN {LLM_IN}"),
    "tool": ("s.tool_name", "s.tool_name IS NOT NULL"),
    "agent": ("s.agent_name", f"s.operation = '{semconv.OP_INVOKE_AGENT}'"),
    "provider": ("s.provider", f"s.operation IN {LLM_IN}"),
    "service": ("s.service_name", None),
    "run": ("s.run_id", None),
    "name": ("s.name", None),
    "error_type": ("s.error_type", "s.status = 'error'"),
}

_WHOLE_TRACES = {"run": "t.run_id", "service": "t.service_name"}
"""Groupings of whole traces: their percentiles and total time are the traces'."""


def stats(
    conn: sqlite3.Connection, by: str, flt: SpanFilter, exact_limit: int = EXACT_PERCENTILE_LIMIT
) -> list[GroupStats]:
    """Per-group counts, errors, percentiles, tokens and usage (see ``TraceBackend.stats``)."""
    if by not in _GROUPS:
        raise ValueError(f"cannot group by {by!r}; choose one of {', '.join(_GROUPS)}")
    hist: list[tuple[Any, ...]] = []
    usage: list[tuple[Any, ...]] = []
    raw_ranges: list[tuple[int | None, int | None]] = [(flt.since_ns, flt.until_ns)]
    exact = True
    if _rollup_applies(conn, by, flt, exact_limit):
        # Whole hours come from the rollup; the partial hours at the edges from spans.
        first = _rollup_from(
            conn,
        )
        if flt.since_ns is not None:
            first = max(first, -(-flt.since_ns // HOUR_NS))
        last = None if flt.until_ns is None else flt.until_ns // HOUR_NS
        if last is None or first < last:
            hist += _rollup_hist(conn, by, first, last, flt.run_id)
            usage += _rollup_usage(conn, by, first, last, flt.run_id)
            raw_ranges = [(flt.since_ns, first * HOUR_NS)]
            if last is not None:
                raw_ranges.append((last * HOUR_NS, flt.until_ns))
            exact = False
    # The edges of a rollup window are time ranges: make the planner walk a time index.
    index = "" if exact else " INDEXED BY spans_run" if flt.run_id else " INDEXED BY spans_start"
    for since_ns, until_ns in raw_ranges:
        part = dataclasses.replace(flt, since_ns=since_ns, until_ns=until_ns)
        hist += _raw_hist(conn, by, part, index)
        usage += _raw_usage(conn, by, part, index)

    groups: dict[Any, GroupStats] = {}
    buckets: dict[Any, dict[int, list[int]]] = {}
    for k, bucket, n, errs, tin, tout, tcr, tcc, lo, hi in hist:
        g = groups.get(k)
        if g is None:
            g = groups[k] = GroupStats(k, 0, 0, None, None, None, 0, 0, 0, 0)
        g.count += n
        g.error_count += errs or 0
        g.input_tokens += tin or 0
        g.output_tokens += tout or 0
        g.cache_read_tokens += tcr or 0
        g.cache_creation_tokens += tcc or 0
        cell = buckets.setdefault(k, {}).get(bucket)
        if cell is None:
            buckets[k][bucket] = [n, lo, hi]
        else:
            cell[0] += n
            cell[1] = min(cell[1], lo)
            cell[2] = max(cell[2], hi)
    total = sum(g.count for g in groups.values())
    if exact and total <= exact_limit:
        key, condition = _GROUPS[by]
        clause, params, _ = span_where(flt, condition)
        durations: dict[Any, list[int]] = {}
        for k, d in fetch(conn, f"SELECT {key} AS k, s.duration_ns FROM spans s{clause}", params):
            durations.setdefault(k, []).append(d)
        for k, values in durations.items():
            values.sort()
            g = groups[k]
            g.p50_ns, g.p95_ns, g.p99_ns = (_rank(values, p) for p in (0.5, 0.95, 0.99))
    else:
        for k, g in groups.items():
            g.exact = False
            cells = sorted((b, *cell) for b, cell in buckets[k].items())
            g.p50_ns, g.p95_ns, g.p99_ns = (
                _bucket_rank(cells, g.count, p) for p in (0.5, 0.95, 0.99)
            )
    merged: dict[tuple[Any, Any], list[int]] = {}
    for k, m, n, tin, tout, tcr, tcc in usage:
        acc = merged.setdefault((k, m), [0, 0, 0, 0, 0])
        for i, v in enumerate((n, tin, tout, tcr, tcc)):
            acc[i] += v or 0
    for (k, m), (n, tin, tout, tcr, tcc) in merged.items():
        if k in groups:
            groups[k].usage.append(ModelUsage(m, n, tin, tout, tcr, tcc))
    ordered = sorted(groups.values(), key=lambda g: (-g.count, str(g.key)))[: flt.limit]
    _add_traces_and_kinds(conn, by, flt, ordered, exact_limit)
    return ordered


def _add_traces_and_kinds(
    conn: sqlite3.Connection,
    by: str,
    flt: SpanFilter,
    groups: list[GroupStats],
    exact_limit: int,
) -> None:
    """Trace counts, total time and per-operation percentiles of each group."""
    if not groups:
        return
    key, condition = _GROUPS[by]
    clause, params, _ = span_where(flt, condition)
    wanted = {g.key: g for g in groups}
    whole = _WHOLE_TRACES.get(by)
    narrowed = (
        flt.operation, flt.model, flt.tool, flt.agent, flt.name, flt.status,
        flt.min_duration_ns, flt.trace_id,
    )  # fmt: skip
    if whole is not None and not flt.where and all(v is None for v in narrowed):
        where, tparams = ["1"], []
        for column, value in (
            ("t.start_ns >= ?", flt.since_ns),
            ("t.start_ns < ?", flt.until_ns),
            ("t.run_id = ?", flt.run_id),
            ("t.service_name = ?", flt.service),
        ):
            if value is not None:
                where.append(column)
                tparams.append(value)
        durations: dict[Any, list[int]] = {}
        for k, d in fetch(
            conn,
            f"SELECT {whole}, t.end_ns - t.start_ns FROM traces t WHERE {' AND '.join(where)}",
            tparams,
        ):
            if k in wanted:
                durations.setdefault(k, []).append(max(0, d))
        for k, values in durations.items():
            values.sort()
            g = wanted[k]
            g.trace_count, g.total_ns, g.per_trace, g.exact = len(values), sum(values), True, True
            g.p50_ns, g.p95_ns, g.p99_ns = (_rank(values, p) for p in (0.5, 0.95, 0.99))
    else:
        for k, traces, total in fetch(
            conn,
            f"SELECT {key} AS k, count(DISTINCT s.trace_id), sum(s.duration_ns) "
            f"FROM spans s{clause} GROUP BY k",
            params,
        ):
            if k in wanted:
                wanted[k].trace_count, wanted[k].total_ns = traces, total or 0
    if by == "operation" or sum(g.count for g in groups) > exact_limit:
        return  # one kind per group already, or too many spans to sort here
    cells: dict[tuple[Any, str], list[int]] = {}
    errors: dict[tuple[Any, str], int] = {}
    for k, op, d, failed in fetch(
        conn,
        f"SELECT {key} AS k, coalesce(s.operation, s.name), s.duration_ns, s.status = 'error' "
        f"FROM spans s{clause}",
        params,
    ):
        if k in wanted:
            cells.setdefault((k, op), []).append(d)
            errors[(k, op)] = errors.get((k, op), 0) + int(failed)
    for (k, op), values in sorted(cells.items(), key=lambda kv: -len(kv[1])):
        values.sort()
        p50, p95, p99 = (_rank(values, p) for p in (0.5, 0.95, 0.99))
        wanted[k].kinds[op] = KindStats(len(values), errors[(k, op)], p50, p95, p99, sum(values))


def _raw_hist(
    conn: sqlite3.Connection, by: str, flt: SpanFilter, index: str = ""
) -> list[tuple[Any, ...]]:
    key, condition = _GROUPS[by]
    clause, params, _ = span_where(flt, condition)
    return fetch(
        conn,
        f"SELECT {key} AS k, s.duration_bucket, count(*), "
        "sum(s.status = 'error'), sum(coalesce(s.input_tokens, 0)), "
        "sum(coalesce(s.output_tokens, 0)), sum(coalesce(s.cache_read_tokens, 0)), "
        "sum(coalesce(s.cache_creation_tokens, 0)), min(s.duration_ns), max(s.duration_ns) "
        f"FROM spans s{index}{clause} GROUP BY k, s.duration_bucket",
        params,
    )


def _raw_usage(
    conn: sqlite3.Connection, by: str, flt: SpanFilter, index: str = ""
) -> list[tuple[Any, ...]]:
    key, condition = _GROUPS[by]
    has_tokens = "(s.input_tokens IS NOT NULL OR s.output_tokens IS NOT NULL)"
    clause, params, _ = span_where(
        flt, f"{condition} AND {has_tokens}" if condition else has_tokens
    )
    return fetch(
        conn,
        f"SELECT {key} AS k, coalesce(s.request_model, s.response_model) AS m, count(*), "
        "sum(coalesce(s.input_tokens, 0)), sum(coalesce(s.output_tokens, 0)), "
        "sum(coalesce(s.cache_read_tokens, 0)), sum(coalesce(s.cache_creation_tokens, 0)) "
        f"FROM spans s{index}{clause} GROUP BY k, m",
        params,
    )


def _rollup_applies(conn: sqlite3.Connection, by: str, flt: SpanFilter, exact_limit: int) -> bool:
    """Rollups answer time-window-only stats, and are worth it only for big stores."""
    if by not in ROLLUP_DIMS:
        return False
    narrowed = (
        flt.operation, flt.model, flt.tool, flt.agent, flt.name, flt.status,
        flt.min_duration_ns, flt.trace_id, flt.service,
    )  # fmt: skip
    if any(v is not None for v in narrowed) or flt.where:
        return False
    count = fetch(conn, "SELECT count(*) FROM spans")[0][0]
    return bool(count > exact_limit)


def _rollup_from(conn: sqlite3.Connection) -> int:
    rows = fetch(conn, "SELECT value FROM meta WHERE key = 'rollup_from_hour'")
    return int(rows[0][0]) if rows else 0


def _rollup_window(first: int, last: int | None, run_id: str | None) -> tuple[str, list[Any]]:
    where: list[str] = ["hour >= ?"]
    params: list[Any] = [first]
    if last is not None:
        where.append("hour < ?")
        params.append(last)
    where.append("run_id = ?")
    params.append(ALL_RUNS if run_id is None else run_id)
    return " AND ".join(where), params


def _rollup_hist(
    conn: sqlite3.Connection, by: str, first: int, last: int | None, run_id: str | None
) -> list[tuple[Any, ...]]:
    window, params = _rollup_window(first, last, run_id)
    rows = fetch(
        conn,
        "SELECT key, bucket, sum(count), sum(errors), sum(input_tokens), sum(output_tokens), "
        "sum(cache_read_tokens), sum(cache_creation_tokens), min(min_ns), max(max_ns) "
        f"FROM rollup WHERE dim = ? AND {window} GROUP BY key, bucket",
        [by, *params],
    )
    return [(r[0] or None, *r[1:]) for r in rows]


def _rollup_usage(
    conn: sqlite3.Connection, by: str, first: int, last: int | None, run_id: str | None
) -> list[tuple[Any, ...]]:
    window, params = _rollup_window(first, last, run_id)
    rows = fetch(
        conn,
        "SELECT key, model, sum(count), sum(input_tokens), sum(output_tokens), "
        "sum(cache_read_tokens), sum(cache_creation_tokens) "
        f"FROM rollup WHERE dim = ? AND {window} GROUP BY key, model "
        "HAVING sum(input_tokens) + sum(output_tokens) > 0",
        [by, *params],
    )
    return [(r[0] or None, r[1] or None, *r[2:]) for r in rows]


def _rank(values: list[int], p: float) -> int | None:
    """Nearest-rank percentile of sorted values."""
    if not values:
        return None
    return values[max(0, math.ceil(p * len(values)) - 1)]


def _bucket_rank(hist: Sequence[Sequence[int]], count: int, p: float) -> int | None:
    """Percentile from (bucket, count, min, max) rows: the bucket's middle, kept inside its range."""
    if not count:
        return None
    target = max(1, math.ceil(p * count))
    seen = 0
    for bucket, n, lo, hi in hist:
        seen += n
        if seen >= target:
            return min(max(_bucket_mid(bucket), lo), hi)
    return hist[-1][3]


def _bucket_mid(bucket: int) -> int:
    return int(math.exp((bucket + 0.5) / BUCKETS_PER_E))
