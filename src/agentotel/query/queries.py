"""The query operations over one trace backend: :class:`Query`, :func:`open`, :func:`import_otlp`."""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any

from agentotel import pricing
from agentotel.query import otlp
from agentotel.query.parse import (
    LATEST,
    PREVIOUS,
    check_status,
    duration_ns,
    parse_time,
    parse_where,
)
from agentotel.query.results import SqlResult, Trace, tree_order
from agentotel.store import settings as store_settings
from agentotel.store.backend import GROUP_KEYS, TraceBackend
from agentotel.store.errors import AmbiguousTraceId, NotFound, TraceNotFound
from agentotel.store.factory import open_backend
from agentotel.store.model import (
    LLM_OPERATIONS,
    WHERE_COLUMNS,
    WHERE_OPS,
    AttrCondition,
    GroupStats,
    ModelUsage,
    Span,
    SpanFilter,
    TraceFilter,
    TraceSummary,
)

PriceFn = Callable[[str | None, int, int, int, int], "float | None"]
"""``prices(model, input, output, cache_read, cache_creation) -> USD or None``."""


def _default_prices() -> PriceFn | None:
    try:
        from agentotel import pricing
    except ImportError:
        return None
    return pricing.pricer()


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

    def _source(self, model: str | None) -> str | None:
        """Where the price of ``model`` comes from (see :mod:`agentotel.pricing`)."""
        source = getattr(self.prices, "source", None)
        return source(model) if callable(source) else "custom"

    def _price(self, usage: Iterable[ModelUsage]) -> tuple[float | None, str | None]:
        """Total USD of ``usage`` and the sources of its prices (``"a+b"`` when mixed)."""
        if self.prices is None:
            return None, None
        total: float | None = None
        sources: set[str] = set()
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
                sources.add(self._source(u.model) or "custom")
        if total is None:
            return None, None
        return round(total, 6), "+".join(sorted(sources))

    def _price_span(self, span: Span) -> None:
        if self.prices is None or span.operation not in LLM_OPERATIONS:
            return
        reported = pricing.recorded(span.attributes)
        if reported is not None:
            span.cost_usd = round(reported, 6)
            span.cost_source = "reported"  # by the client library (LiteLLM's response_cost)
            return
        if span.input_tokens is None and span.output_tokens is None:
            return
        model = span.response_model or span.request_model
        value = self.prices(
            model,
            span.input_tokens or 0,
            span.output_tokens or 0,
            span.cache_read_tokens or 0,
            span.cache_creation_tokens or 0,
        )
        span.cost_usd = None if value is None else round(value, 6)
        span.cost_source = None if value is None else self._source(model)

    def _price_traces(self, summaries: list[TraceSummary]) -> None:
        if self.prices is None or not summaries:
            return
        usage = self.backend.usage_by_trace(s.trace_id for s in summaries)
        for s in summaries:
            s.cost_usd, s.cost_source = self._price(usage.get(s.trace_id, []))

    # --- operations ------------------------------------------------------------

    def resolve_run(self, run: str | None) -> str | None:
        """A stored run id; ``"last"`` is the run of the most recent trace, ``"previous"``
        the run before it. Raises :class:`NotFound` (naming close run ids) for a run
        the store does not hold."""
        if run is None:
            return None
        lowered = run.strip().lower()
        if lowered in LATEST or lowered == PREVIOUS:
            runs = self.backend.run_ids(limit=2)
            want = 0 if lowered in LATEST else 1
            if len(runs) <= want:
                held = "no runs" if not runs else "one run"
                raise NotFound(f"no {lowered} run: the store holds {held}")
            return runs[want]
        runs = self.backend.run_ids(limit=1000)
        if run in runs:
            return run
        raise NotFound(f"no run {run!r} in the store{_hint(run, runs)}")

    def resolve_commit(self, commit: str) -> list[str]:
        """The stored commits (``vcs.revision``) starting with ``commit``; raises
        :class:`NotFound` naming recent ones when there is none."""
        prefix = commit.strip().lower()
        revisions = self.backend.revisions(limit=1000)
        found = [r for r in revisions if r.lower().startswith(prefix)]
        if not found:
            raise NotFound(f"no traces at commit {commit!r}{_hint(commit, revisions)}")
        return found

    def resolve_trace(self, trace_id: str) -> str:
        """A full trace id from an id, a unique prefix of one, or ``"last"``."""
        text = trace_id.strip().lower()
        if text in LATEST:
            latest = self.backend.latest_trace_id()
            if latest is None:
                raise TraceNotFound("the store holds no traces yet")
            return latest
        if not text or any(c not in "0123456789abcdef" for c in text):
            raise TraceNotFound(f"no trace {trace_id!r} (trace ids are hex){self._recent()}")
        matches = self.backend.resolve_trace_id(text, limit=5)
        if not matches:
            raise TraceNotFound(f"no trace {trace_id}{self._recent()}")
        if len(matches) > 1 and text not in matches:
            raise AmbiguousTraceId(
                f"trace id prefix {trace_id} matches several traces: {', '.join(matches)}"
            )
        return text if text in matches else matches[0]

    def resolve_span(self, span_id: str) -> tuple[str, str]:
        """``(trace_id, span_id)`` of the span whose id is ``span_id`` or starts with it."""
        text = span_id.strip().lower()
        if not text or any(c not in "0123456789abcdef" for c in text):
            raise NotFound(f"no span {span_id!r} (span ids are hex)")
        matches = self.backend.resolve_span_id(text, limit=5)
        exact = [m for m in matches if m[1] == text]
        if exact:
            return exact[0]
        if not matches:
            raise NotFound(f"no span {span_id}")
        if len(matches) > 1:
            raise AmbiguousTraceId(
                f"span id prefix {span_id} matches several spans: "
                + ", ".join(m[1] for m in matches)
            )
        return matches[0]

    def _recent(self) -> str:
        recent = [t.trace_id for t in self.backend.list_traces(TraceFilter(limit=3))]
        return f" (recent: {', '.join(recent)}; see 'agentotel traces')" if recent else ""

    def check_where(self, conditions: Sequence[AttrCondition]) -> None:
        """Refuse (ValueError, naming the closest keys) a condition on a key no span has."""
        for cond in conditions:
            if cond.key in WHERE_COLUMNS or self.backend.has_attribute(cond.key):
                continue
            keys = [k.key for k in self.backend.attribute_keys(sample=2000)]
            raise ValueError(
                f"no stored span has attribute {cond.key!r}"
                + _hint(cond.key, [*keys, *WHERE_COLUMNS], "closest keys", "most common keys")
            )

    def traces(
        self,
        since: str | float | _dt.datetime | None = None,
        until: str | float | _dt.datetime | None = None,
        run: str | None = None,
        service: str | None = None,
        status: str | None = None,
        limit: int = 20,
        failed: bool = False,
    ) -> list[TraceSummary]:
        """Trace summaries, newest first.

        ``status="error"`` keeps traces where any span erred (handled errors too);
        ``failed=True`` keeps only traces whose root span failed: runs that crashed.
        """
        found = self.backend.list_traces(
            TraceFilter(
                since_ns=parse_time(since),
                until_ns=parse_time(until),
                run_id=self.resolve_run(run),
                service=service,
                status=check_status(status),
                failed=failed,
                limit=max(1, limit),
            )
        )
        self._price_traces(found)
        return found

    def trace(self, trace_id: str) -> Trace:
        """One trace with all its spans in tree order; raises TraceNotFound.

        ``trace_id`` may also be a span id or a unique prefix of one: the result is
        that span's trace, with ``focus_span_id`` naming the span.
        """
        focus: str | None = None
        try:
            full_id = self.resolve_trace(trace_id)
        except TraceNotFound:
            text = trace_id.strip().lower()
            if text in LATEST or not text or any(c not in "0123456789abcdef" for c in text):
                raise
            try:
                full_id, focus = self.resolve_span(text)
            except NotFound:
                raise TraceNotFound(f"no trace or span {trace_id}{self._recent()}") from None
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
            summary.cost_source = "reported"
        return Trace(summary=summary, spans=tree_order(spans), focus_span_id=focus)

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
            g.cost_usd, g.cost_source = self._price(g.usage)
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
        conditions = [parse_where(w) for w in where or ()]
        self.check_where(conditions)
        return SpanFilter(
            operation=operation,
            model=model,
            tool=tool,
            agent=agent,
            name=name,
            status=check_status(status),
            min_duration_ns=duration_ns(min_duration),
            trace_id=self.resolve_trace(trace) if trace else None,
            since_ns=parse_time(since),
            until_ns=parse_time(until),
            run_id=self.resolve_run(run),
            service=service,
            where=conditions,
            limit=max(1, limit),
        )

    def schema(self, sample: int = 10_000) -> dict[str, Any]:
        """What can be asked: tables and columns for ``sql``, the span fields ``where``
        takes, and the attribute keys of the ``sample`` most recent spans with counts
        and example values."""
        keys = self.backend.attribute_keys(sample=sample)
        return {
            "tables": self.backend.tables(),
            "where_fields": list(WHERE_COLUMNS),
            "where_operators": list(WHERE_OPS),
            "attribute_keys": [k.to_dict() for k in keys],
            "sampled_spans": sample,
        }

    def export_otlp(self, trace_id: str) -> dict[str, Any]:
        """One trace as an OTLP JSON ``ExportTraceServiceRequest``."""
        full_id = self.resolve_trace(trace_id)
        spans = self.backend.trace_spans(full_id)
        if not spans:
            raise TraceNotFound(f"no trace {trace_id}")
        return otlp.encode(spans)

    def sql(self, text: str, limit: int = 1000, timeout_s: float | None = None) -> SqlResult:
        """Run one read-only SQL statement against the store (see docs/query.md for tables).

        The statement is stopped after ``timeout_s`` seconds (default:
        ``AGENTOTEL_SQL_TIMEOUT``, 10 s; 0 for no limit), raising ``QueryTimeout``.
        """
        if timeout_s is None:
            timeout_s = store_settings.sql_timeout_s()
        columns, rows = self.backend.sql(text, limit, timeout_s or None, prices=self.prices)
        return SqlResult(columns, list(rows))


def _hint(value: str, known: Sequence[str], label: str = "closest", first: str = "recent") -> str:
    """`` (closest: a, b, c)`` from ``known``, or its first three when none is close."""
    import difflib

    if not known:
        return " (the store holds none)"
    close = difflib.get_close_matches(value, known, n=3, cutoff=0.5)
    close += [k for k in known if value.lower() in k.lower() and k not in close][: 3 - len(close)]
    if close:
        return f" ({label}: {', '.join(close)})"
    return f" ({first}: {', '.join(known[:3])})"


def open(
    path: str | os.PathLike[str] | TraceBackend | None = None,
    *,
    prices: PriceFn | bool | None = True,
    timeout_s: float | None = None,
) -> Query:
    """Open the store at ``path`` (default: ``AGENTOTEL_STORE`` or ``.agentotel/traces.db``) read-only.

    ``path`` may also be any :class:`~agentotel.store.backend.TraceBackend`, which the
    returned ``Query`` then owns (closing it closes the backend). ``prices`` is a
    callable pricing one call, True for :func:`agentotel.pricing.pricer` (user prices,
    then ``genai-prices`` when installed, then the bundled table), or None to
    leave costs out. Raises a :class:`agentotel.store.StoreError` subclass for a
    missing, locked, corrupt or newer-schema store.
    """
    if isinstance(path, (str, os.PathLike)) or path is None:
        return Query(open_backend(path, readonly=True, timeout_s=timeout_s), prices=prices)
    return Query(path, prices=prices)


def import_otlp(
    data: str | Mapping[str, Any],
    path: str | os.PathLike[str] | TraceBackend | None = None,
) -> tuple[int, int]:
    """Record OTLP JSON (text or a parsed request) into the store; returns (spans read, new).

    ``path`` is a store file (opened writable, created if need be) or a writable
    backend, which is left open.
    """
    spans = otlp.loads(data) if isinstance(data, str) else otlp.decode(data)
    if not (isinstance(path, (str, os.PathLike)) or path is None):
        return len(spans), path.write(spans)
    store = open_backend(path, readonly=False)
    try:
        new = store.write(spans)
    finally:
        store.close()
    return len(spans), new
