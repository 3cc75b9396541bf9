"""The interface every trace backend serves, so queries do not depend on SQLite.

The bundled backend is :class:`agentotel.store.sqlite.SQLiteStore`. Another one
(for example ClickHouse tables written by the OpenTelemetry Collector) only has
to return the same records from the same calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from agentotel.store.model import (
    GroupStats,
    ModelUsage,
    Span,
    SpanFilter,
    TraceFilter,
    TraceSummary,
)

GROUP_KEYS = ("operation", "model", "tool", "agent", "provider", "service", "run", "name")
"""What ``stats`` can group by."""


class TraceBackend(Protocol):
    """Read (and for writable backends, write) access to stored spans."""

    def write(self, spans: Sequence[Span]) -> int:
        """Store spans, ignoring ones already stored; returns how many were new."""
        ...

    def list_traces(self, flt: TraceFilter) -> list[TraceSummary]:
        """Trace summaries, newest first."""
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

    def trace_summary(self, trace_id: str) -> TraceSummary | None:
        """The summary of one trace."""
        ...

    def trace_spans(self, trace_id: str) -> list[Span]:
        """Every span of one trace, with attributes, events, links and resource."""
        ...

    def find_spans(self, flt: SpanFilter, full: bool = False) -> list[Span]:
        """Spans matching a filter, newest first; ``full`` loads attributes and events."""
        ...

    def stats(self, by: str, flt: SpanFilter) -> list[GroupStats]:
        """Per-group counts, errors, latency percentiles, tokens and per-model usage."""
        ...

    def usage_by_trace(self, trace_ids: Iterable[str]) -> dict[str, list[ModelUsage]]:
        """Per-model token totals of the model calls in each trace (for pricing)."""
        ...

    def sql(self, text: str, limit: int) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run one read-only statement; returns column names and at most ``limit`` rows."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...
