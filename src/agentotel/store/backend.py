"""The interface every trace backend serves, so queries do not depend on SQLite.

The bundled backend is :class:`agentotel.store.sqlite.SQLiteStore`. Another one
(for example ClickHouse tables written by the OpenTelemetry Collector) only has
to return the same records from the same calls: every argument and result is a
dataclass of :mod:`agentotel.store.model` or plain Python data, and failures are
:mod:`agentotel.store.errors` (``StoreError`` subclasses when the store cannot be
used, :class:`~agentotel.store.errors.InvalidQuery` for a refused ``sql``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from agentotel.store.model import (
    AttributeKey,
    GroupStats,
    ModelUsage,
    Span,
    SpanEvents,
    SpanFilter,
    TraceFilter,
    TraceSummary,
)

GROUP_KEYS = (
    "operation", "model", "tool", "agent", "provider", "service", "run", "name", "error_type",
)  # fmt: skip
"""What ``stats`` can group by."""


class TraceBackend(Protocol):
    """Read (and for writable backends, write) access to stored spans."""

    def write(self, spans: Sequence[Span]) -> int:
        """Store spans, ignoring ones already stored; returns how many were new.

        A span with values the backend cannot hold is repaired or, failing that,
        skipped alone: one bad span never costs the others.
        """
        ...

    def add_events(self, updates: Sequence[SpanEvents]) -> int:
        """Add events to stored spans (replacing matches, see ``SpanEvents``); returns how many."""
        ...

    def list_traces(self, flt: TraceFilter) -> list[TraceSummary]:
        """Trace summaries, newest first, each with its root span's ``status`` and ``error_type``.

        ``flt.status`` keeps traces with (or without) any erring span; ``flt.failed``
        only those whose root span is in error.
        """
        ...

    def resolve_trace_id(self, prefix: str, limit: int = 5) -> list[str]:
        """Full ids of the traces whose id starts with ``prefix`` (at most ``limit``)."""
        ...

    def latest_trace_id(self) -> str | None:
        """The id of the most recently started trace."""
        ...

    def latest_run_id(self) -> str | None:
        """The run id of the most recently started trace."""
        ...

    def run_ids(self, limit: int = 1000) -> list[str]:
        """Distinct run ids, the most recently started run first."""
        ...

    def revisions(self, limit: int = 1000) -> list[str]:
        """Distinct ``vcs.revision`` values (commits), the most recently recorded first."""
        ...

    def resolve_span_id(self, prefix: str, limit: int = 5) -> list[tuple[str, str]]:
        """``(trace_id, span_id)`` of the spans whose id starts with ``prefix`` (at most ``limit``)."""
        ...

    def tables(self) -> dict[str, list[str]]:
        """The tables and views a ``sql`` statement can read, each with its column names."""
        ...

    def has_attribute(self, key: str) -> bool:
        """Whether any stored span carries attribute ``key`` (a ``--where`` key check)."""
        ...

    def attribute_keys(self, sample: int = 10_000) -> list[AttributeKey]:
        """Attribute keys of the ``sample`` most recent spans, most common first, with
        how many of those spans carry each and up to two example values."""
        ...

    def trace_summary(self, trace_id: str) -> TraceSummary | None:
        """The summary of one trace."""
        ...

    def trace_spans(self, trace_id: str) -> list[Span]:
        """Every span of one trace, with attributes, events, links and resource."""
        ...

    def find_spans(self, flt: SpanFilter, full: bool = False) -> list[Span]:
        """Spans matching a filter, newest first; ``full`` loads attributes and events.

        ``flt.where`` conditions use the operators of ``model.WHERE_OPS`` (``!=`` also
        matches spans without the attribute; ``~`` is a substring test) on an
        attribute or on a span field named in ``model.WHERE_COLUMNS``.
        """
        ...

    def stats(self, by: str, flt: SpanFilter) -> list[GroupStats]:
        """Per-group counts, errors, latency percentiles, tokens and per-model usage.

        Each group also carries its trace count, total time and per-operation
        percentiles (``GroupStats.kinds``); groups of whole traces (``run``,
        ``service``) give percentiles and total time of the traces themselves.
        """
        ...

    def usage_by_trace(self, trace_ids: Iterable[str]) -> dict[str, list[ModelUsage]]:
        """Per-model token totals of the model calls in each trace (for pricing)."""
        ...

    def sql(
        self,
        text: str,
        limit: int,
        timeout_s: float | None = None,
        prices: Callable[[str | None, int, int, int, int], float | None] | None = None,
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run one read-only statement; returns column names and at most ``limit`` rows.

        With ``prices`` (``prices(model, input, output, cache_read, cache_creation)``),
        the statement can also read ``span_costs`` (one row per model call with
        tokens: trace_id, span_id, run_id, operation, name, model, the token counts,
        start_ns, cost_usd) and ``trace_costs`` (trace_id, run_id, llm_calls,
        priced_calls, cost_usd).

        Raises ``InvalidQuery`` for a statement the backend refuses and
        ``QueryTimeout`` when it runs longer than ``timeout_s`` seconds.
        """
        ...

    def close(self) -> None:
        """Release the connection."""
        ...
