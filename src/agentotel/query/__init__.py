"""Ask the local trace store what an agent application did: traces, spans, stats, exports.

The same operations back the ``agentotel`` CLI and its MCP server::

    from agentotel import query

    with query.open() as q:                      # AGENTOTEL_STORE or .agentotel/traces.db
        for t in q.traces(since="1h", status="error"):
            print(t.trace_id, t.root_name, t.error_count)
        trace = q.trace("last")                  # an id, an id prefix, or "last"
        slow = q.spans(operation="execute_tool", min_duration="500ms")
        by_model = q.stats(by="model")

Results are dataclasses with a ``to_dict()`` giving the documented JSON shape.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from agentotel import pricing
from agentotel.query import otlp
from agentotel.store import settings as store_settings
from agentotel.store.backend import GROUP_KEYS, TraceBackend
from agentotel.store.errors import AmbiguousTraceId, TraceNotFound
from agentotel.store.model import (
    LLM_OPERATIONS,
    AttrCondition,
    GroupStats,
    ModelUsage,
    Span,
    SpanFilter,
    TraceFilter,
    TraceSummary,
)
from agentotel.store.settings import default_path, parse_duration
from agentotel.store.sqlite import SQLiteStore

PriceFn = Callable[[str | None, int, int, int, int], "float | None"]
"""``prices(model, input, output, cache_read, cache_creation) -> USD or None``."""

LATEST = ("last", "latest")

__all__ = [
    "GROUP_KEYS",
    "AmbiguousTraceId",
    "GroupStats",
    "PriceFn",
    "Query",
    "Span",
    "SqlResult",
    "Trace",
    "TraceNotFound",
    "TraceSummary",
    "import_otlp",
    "open",
    "parse_time",
    "parse_where",
]


@dataclass
class Trace:
    """A trace's summary and its spans in tree order (``Span.depth`` is the nesting level)."""

    summary: TraceSummary
    spans: list[Span] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        resource = self.spans[0].resource if self.spans else {}
        return {
            "trace": self.summary.to_dict(),
            "resource": resource,
            "spans": [s.to_dict(full=True) for s in self.spans],
        }


@dataclass
class SqlResult:
    """Columns and rows of a read-only ``sql`` statement."""

    columns: list[str]
    rows: list[tuple[Any, ...]]

    def to_dict(self) -> dict[str, Any]:
        return {"columns": self.columns, "rows": [list(r) for r in self.rows]}


def _default_prices() -> PriceFn | None:
    try:
        from agentotel import pricing
    except ImportError:
        return None
    return pricing.cost


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
    """``"gen_ai.request.model=gpt-4o"`` (also ``!=``, ``>``, ``>=``, ``<``, ``<=``) as a condition."""
    if isinstance(expr, AttrCondition):
        return expr
    best: tuple[int, str] | None = None
    for op in ("!=", ">=", "<=", "=", ">", "<"):
        at = expr.find(op)
        if at > 0 and (best is None or at < best[0] or (at == best[0] and len(op) > len(best[1]))):
            best = (at, op)
    if best is None:
        raise ValueError(f"not a condition: {expr!r} (expected attribute=value)")
    at, op = best
    key = expr[:at].strip()
    if not key:
        raise ValueError(f"not a condition: {expr!r} (missing attribute name)")
    return AttrCondition(key=key, op=op, value=expr[at + len(op) :].strip())


def _duration_ns(value: str | float | None) -> int | None:
    """A duration as nanoseconds; a bare number means milliseconds."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value * 1e6)
    return int(parse_duration(value, default_unit="ms") * 1e9)


def _check_status(status: str | None) -> str | None:
    if status is None:
        return None
    status = status.lower()
    if status not in ("error", "ok"):
        raise ValueError(f"status must be 'error' or 'ok', not {status!r}")
    return status


class Query:
    """Query operations over one backend (by default the SQLite store, opened read-only)."""

    def __init__(self, backend: TraceBackend, prices: PriceFn | bool | None = True) -> None:
        self.backend = backend
        self.prices: PriceFn | None = (
            _default_prices() if prices is True else prices if callable(prices) else None
        )

    def __enter__(self) -> Query:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.backend.close()

    # --- pricing ---------------------------------------------------------------

    def _price(self, usage: Iterable[ModelUsage]) -> float | None:
        if self.prices is None:
            return None
        total: float | None = None
        for u in usage:
            value = self.prices(
                u.model,
                u.input_tokens,
                u.output_tokens,
                u.cache_read_tokens,
                u.cache_creation_tokens,
            )
            if value is not None:
                total = (total or 0.0) + value
        return None if total is None else round(total, 6)

    def _price_span(self, span: Span) -> None:
        if self.prices is None or span.operation not in LLM_OPERATIONS:
            return
        reported = pricing.recorded(span.attributes)
        if reported is not None:
            span.cost_usd = round(reported, 6)
            return
        if span.input_tokens is None and span.output_tokens is None:
            return
        value = self.prices(
            span.response_model or span.request_model,
            span.input_tokens or 0,
            span.output_tokens or 0,
            span.cache_read_tokens or 0,
            span.cache_creation_tokens or 0,
        )
        span.cost_usd = None if value is None else round(value, 6)

    def _price_traces(self, summaries: list[TraceSummary]) -> None:
        if self.prices is None or not summaries:
            return
        usage = self.backend.usage_by_trace(s.trace_id for s in summaries)
        for s in summaries:
            s.cost_usd = self._price(usage.get(s.trace_id, []))

    # --- operations ------------------------------------------------------------

    def resolve_run(self, run: str | None) -> str | None:
        """A run id, with ``"last"`` meaning the run of the most recent trace."""
        if run is not None and run.lower() in LATEST:
            return self.backend.latest_run_id() or run
        return run

    def resolve_trace(self, trace_id: str) -> str:
        """A full trace id from an id, a unique prefix of one, or ``"last"``."""
        text = trace_id.strip().lower()
        if text in LATEST:
            latest = self.backend.latest_trace_id()
            if latest is None:
                raise TraceNotFound("the store holds no traces yet")
            return latest
        if not text or any(c not in "0123456789abcdef" for c in text):
            raise TraceNotFound(f"no trace {trace_id!r} (trace ids are hex)")
        matches = self.backend.resolve_trace_id(text, limit=5)
        if not matches:
            raise TraceNotFound(f"no trace {trace_id}")
        if len(matches) > 1 and text not in matches:
            raise AmbiguousTraceId(
                f"trace id prefix {trace_id} matches several traces: {', '.join(matches)}"
            )
        return text if text in matches else matches[0]

    def traces(
        self,
        since: str | float | _dt.datetime | None = None,
        until: str | float | _dt.datetime | None = None,
        run: str | None = None,
        service: str | None = None,
        status: str | None = None,
        limit: int = 20,
    ) -> list[TraceSummary]:
        """Trace summaries, newest first."""
        found = self.backend.list_traces(
            TraceFilter(
                since_ns=parse_time(since),
                until_ns=parse_time(until),
                run_id=self.resolve_run(run),
                service=service,
                status=_check_status(status),
                limit=max(1, limit),
            )
        )
        self._price_traces(found)
        return found

    def trace(self, trace_id: str) -> Trace:
        """One trace with all its spans in tree order; raises TraceNotFound."""
        full_id = self.resolve_trace(trace_id)
        summary = self.backend.trace_summary(full_id)
        spans = self.backend.trace_spans(full_id)
        if summary is None or not spans:
            raise TraceNotFound(f"no trace {trace_id}")
        self._price_traces([summary])
        for span in spans:
            self._price_span(span)
        if self.prices is not None and any(pricing.recorded(s.attributes) for s in spans):
            # Costs the client reported replace estimates: the trace is the sum of its calls.
            summary.cost_usd = round(sum(s.cost_usd or 0.0 for s in spans), 6)
        return Trace(summary=summary, spans=tree_order(spans))

    def spans(
        self,
        operation: str | None = None,
        model: str | None = None,
        tool: str | None = None,
        agent: str | None = None,
        name: str | None = None,
        status: str | None = None,
        min_duration: str | float | None = None,
        trace: str | None = None,
        where: Sequence[str | AttrCondition] | None = None,
        since: str | float | _dt.datetime | None = None,
        until: str | float | _dt.datetime | None = None,
        run: str | None = None,
        service: str | None = None,
        limit: int = 50,
        full: bool = False,
        sort: str = "start",
    ) -> list[Span]:
        """Spans matching every given filter, newest first (``sort="duration"``: longest first).

        ``min_duration`` is ``"500ms"``-style or a number of milliseconds; ``where``
        holds ``attribute=value`` conditions on any span attribute.
        """
        flt = self._span_filter(
            operation, model, tool, agent, name, status, min_duration, trace, where,
            since, until, run, service, limit,
        )  # fmt: skip
        if sort not in ("start", "duration"):
            raise ValueError(f"sort must be 'start' or 'duration', not {sort!r}")
        flt.sort = sort
        found = self.backend.find_spans(flt, full=full)
        for span in found:
            self._price_span(span)
        return found

    def stats(
        self,
        by: str = "operation",
        since: str | float | _dt.datetime | None = None,
        until: str | float | _dt.datetime | None = None,
        run: str | None = None,
        service: str | None = None,
        operation: str | None = None,
        model: str | None = None,
        tool: str | None = None,
        agent: str | None = None,
        trace: str | None = None,
        where: Sequence[str | AttrCondition] | None = None,
        limit: int = 50,
    ) -> list[GroupStats]:
        """Per-group count, error rate, p50/p95/p99 duration, tokens and cost, biggest first."""
        if by not in GROUP_KEYS:
            raise ValueError(f"cannot group by {by!r}; choose one of {', '.join(GROUP_KEYS)}")
        flt = self._span_filter(
            operation, model, tool, agent, None, None, None, trace, where,
            since, until, run, service, limit,
        )  # fmt: skip
        groups = self.backend.stats(by, flt)
        for g in groups:
            g.cost_usd = self._price(g.usage)
        return groups

    def _span_filter(
        self,
        operation: str | None,
        model: str | None,
        tool: str | None,
        agent: str | None,
        name: str | None,
        status: str | None,
        min_duration: str | float | None,
        trace: str | None,
        where: Sequence[str | AttrCondition] | None,
        since: str | float | _dt.datetime | None,
        until: str | float | _dt.datetime | None,
        run: str | None,
        service: str | None,
        limit: int,
    ) -> SpanFilter:
        return SpanFilter(
            operation=operation,
            model=model,
            tool=tool,
            agent=agent,
            name=name,
            status=_check_status(status),
            min_duration_ns=_duration_ns(min_duration),
            trace_id=self.resolve_trace(trace) if trace else None,
            since_ns=parse_time(since),
            until_ns=parse_time(until),
            run_id=self.resolve_run(run),
            service=service,
            where=[parse_where(w) for w in where or ()],
            limit=max(1, limit),
        )

    def export_otlp(self, trace_id: str) -> dict[str, Any]:
        """One trace as an OTLP JSON ``ExportTraceServiceRequest``."""
        full_id = self.resolve_trace(trace_id)
        spans = self.backend.trace_spans(full_id)
        if not spans:
            raise TraceNotFound(f"no trace {trace_id}")
        return otlp.encode(spans)

    def sql(self, text: str, limit: int = 1000) -> SqlResult:
        """Run one read-only SQL statement against the store (see docs/query.md for tables)."""
        columns, rows = self.backend.sql(text, limit)
        return SqlResult(columns, list(rows))


def tree_order(spans: Sequence[Span]) -> list[Span]:
    """Spans depth-first, children by start time; spans whose parent is absent become roots."""
    ids = {s.span_id for s in spans}
    children: dict[str | None, list[Span]] = {}
    for s in spans:
        parent = s.parent_id if s.parent_id in ids else None
        children.setdefault(parent, []).append(s)
    out: list[Span] = []
    stack: list[tuple[Span, int]] = [
        (s, 0) for s in sorted(children.get(None, []), key=lambda x: x.start_ns, reverse=True)
    ]
    seen: set[str] = set()
    while stack:
        span, depth = stack.pop()
        if span.span_id in seen:
            continue
        seen.add(span.span_id)
        span.depth = depth
        out.append(span)
        kids = sorted(children.get(span.span_id, []), key=lambda x: x.start_ns, reverse=True)
        stack.extend((k, depth + 1) for k in kids)
    # A parent cycle (only possible in hand-made imports) leaves spans unreached: append them.
    out.extend(s for s in spans if s.span_id not in seen)
    return out


def open(
    path: str | os.PathLike[str] | None = None,
    *,
    prices: PriceFn | bool | None = True,
    timeout_s: float | None = None,
) -> Query:
    """Open the store at ``path`` (default: ``AGENTOTEL_STORE`` or ``.agentotel/traces.db``) read-only.

    ``prices`` is a callable pricing one call, True for :func:`agentotel.pricing.cost`,
    or None to leave costs out. Raises a :class:`agentotel.store.StoreError` subclass
    for a missing, locked, corrupt or newer-schema store.
    """
    target = Path(path) if path is not None else default_path()
    wait = store_settings.timeout_s() if timeout_s is None else timeout_s
    return Query(SQLiteStore(target, readonly=True, timeout_s=wait), prices=prices)


def import_otlp(
    data: str | Mapping[str, Any],
    path: str | os.PathLike[str] | None = None,
) -> tuple[int, int]:
    """Record OTLP JSON (text or a parsed request) into the store; returns (spans read, new)."""
    spans = otlp.loads(data) if isinstance(data, str) else otlp.decode(data)
    target = Path(path) if path is not None else default_path()
    store = SQLiteStore(
        target, readonly=False, max_age_s=None, max_bytes=None, timeout_s=store_settings.timeout_s()
    )
    try:
        new = store.write(spans)
    finally:
        store.close()
    return len(spans), new
