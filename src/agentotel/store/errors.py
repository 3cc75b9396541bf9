"""Errors the store raises, each with a one-line message fit for a terminal."""

from __future__ import annotations


class StoreError(Exception):
    """A store cannot be used; ``str(exc)`` is a one-line explanation."""


class StoreMissing(StoreError):
    """No store exists at the path (nothing recorded yet, or a wrong path)."""


class StoreLocked(StoreError):
    """Another process holds the store locked longer than the busy timeout."""


class StoreFull(StoreError):
    """The disk (or the file system's quota) holding the store is full."""


class QueryTimeout(StoreError):
    """A read-only SQL statement ran past its time limit and was stopped."""


class InvalidQuery(ValueError):
    """A read-only SQL statement the backend refused (syntax, unknown table, not read-only)."""


class StoreCorrupt(StoreError):
    """The file is not an agentotel store, or its contents are damaged."""


class StoreSchemaTooNew(StoreError):
    """The store was written by a newer agentotel whose schema this one does not know."""


class NotFound(LookupError):
    """Nothing stored matches an id asked for (a trace, span, run or commit)."""


class TraceNotFound(NotFound):
    """No stored trace matches the id (or id prefix) asked for."""


class AmbiguousTraceId(LookupError):
    """An id prefix matches more than one trace."""
