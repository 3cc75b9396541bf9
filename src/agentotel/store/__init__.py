"""The local trace store: spans recorded into SQLite so they can be queried without a backend.

``StoreSpanExporter`` feeds it from a span processor; :mod:`agentotel.query`,
the ``agentotel`` CLI and its MCP server read it.
"""

from __future__ import annotations

from agentotel.store.backend import TraceBackend
from agentotel.store.errors import (
    AmbiguousTraceId,
    InvalidQuery,
    QueryTimeout,
    StoreCorrupt,
    StoreError,
    StoreFull,
    StoreLocked,
    StoreMissing,
    StoreSchemaTooNew,
    TraceNotFound,
)
from agentotel.store.exporter import StoreSpanExporter, store_processor
from agentotel.store.factory import open_backend
from agentotel.store.model import GroupStats, Span, SpanEvents, TraceSummary
from agentotel.store.settings import default_path, store_enabled
from agentotel.store.sqlite import SQLiteStore

__all__ = [
    "AmbiguousTraceId",
    "GroupStats",
    "InvalidQuery",
    "QueryTimeout",
    "SQLiteStore",
    "Span",
    "SpanEvents",
    "StoreCorrupt",
    "StoreError",
    "StoreFull",
    "StoreLocked",
    "StoreMissing",
    "StoreSchemaTooNew",
    "StoreSpanExporter",
    "TraceBackend",
    "TraceNotFound",
    "TraceSummary",
    "default_path",
    "open_backend",
    "store_enabled",
    "store_processor",
]
