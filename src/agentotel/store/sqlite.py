"""The bundled trace backend: one SQLite file in WAL mode, shared by many processes.

Writers take the write lock once per batch (``BEGIN IMMEDIATE``) and wait up to
the busy timeout for it, so several instrumented processes can record into one
file. Readers open the file read-only. Retention (age and size) runs on the
writer every few batches.

This class holds the connection, its lock and the transactions; the SQL lives in
:mod:`~agentotel.store.sqlite_open` (files, schema, errors),
:mod:`~agentotel.store.sqlite_write`, :mod:`~agentotel.store.sqlite_retention`,
:mod:`~agentotel.store.sqlite_read` and :mod:`~agentotel.store.sqlite_stats`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from agentotel.store import sanitize, sqlite_read, sqlite_retention, sqlite_stats, sqlite_write
from agentotel.store.errors import InvalidQuery, QueryTimeout, StoreError
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
from agentotel.store.sqlite_open import error_for, file_mode_ok, open_readonly, open_writable
from agentotel.store.sqlite_stats import EXACT_PERCENTILE_LIMIT
from agentotel.store.sqlite_write import BUCKETS_PER_E, duration_bucket

__all__ = [
    "BUCKETS_PER_E",
    "EXACT_PERCENTILE_LIMIT",
    "SQLiteQueryError",
    "SQLiteStore",
    "duration_bucket",
    "file_mode_ok",
]

_log = logging.getLogger("agentotel")
_T = TypeVar("_T")

# The authorizer codes a read-only `agentotel sql` statement may use.
_READ_ACTIONS = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    getattr(sqlite3, "SQLITE_RECURSIVE", 33),
}

_MAX_ROWS = 2**31 - 1  # fetchmany takes a C int

# Errors that say a row's values are unacceptable, not that the store is unusable.
_BAD_ROW = (
    sqlite3.IntegrityError,
    sqlite3.InterfaceError,
    sqlite3.ProgrammingError,
    sqlite3.DataError,
    ValueError,  # UnicodeEncodeError, NaN refused by the JSON encoder
    OverflowError,
    TypeError,
)


class SQLiteQueryError(InvalidQuery, sqlite3.DatabaseError):
    """``InvalidQuery`` from this backend; also a ``sqlite3.Error`` for code written against it."""


class SQLiteStore:
    """A trace store in one SQLite file (see :class:`agentotel.store.backend.TraceBackend`)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        readonly: bool = True,
        timeout_s: float = 5.0,
        max_age_s: float | None = None,
        max_bytes: int | None = None,
        retention_every: int = 200,
    ) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self.timeout_s = timeout_s
        self.max_age_s = max_age_s
        self.max_bytes = max_bytes
        self.retention_every = max(1, retention_every)
        self.rejected = 0
        """Spans refused even after repair (each logged); see :meth:`write`."""
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._inode: tuple[int, int] | None = None
        self._resource_ids: dict[str, int] = {}
        self._writes = 0
        self._warned_rejected = False
        self._connect()

    # --- connection ------------------------------------------------------------

    @contextlib.contextmanager
    def _translate(self) -> Iterator[None]:
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            raise error_for(exc, self.path) from None

    def _connect(self) -> None:
        with self._translate():
            if self.readonly:
                self._conn = open_readonly(self.path, self.timeout_s)
            else:
                self._conn = open_writable(self.path, self.timeout_s)
        self._pid = os.getpid()
        try:
            st = os.stat(self.path)
            self._inode = (st.st_dev, st.st_ino)
        except OSError:
            self._inode = None

    def _ready(self) -> sqlite3.Connection:
        """The connection, reopened after a fork or after the file was removed or replaced."""
        if self._conn is not None and self._pid == os.getpid() and not self.readonly:
            try:
                st = os.stat(self.path)
                same = (st.st_dev, st.st_ino) == self._inode
            except OSError:
                same = False
            if not same:
                self._drop()
        elif self._conn is not None and self._pid != os.getpid():
            self._conn = None  # the parent's connection must not be used (or closed) here
        if self._conn is None:
            self._resource_ids.clear()
            self._connect()
        assert self._conn is not None
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
        self._conn = None

    def close(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                self._drop()
            self._conn = None

    @contextlib.contextmanager
    def _transaction(self, conn: sqlite3.Connection) -> Iterator[None]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise

    # --- writing ----------------------------------------------------------------

    def write(self, spans: Sequence[Span]) -> int:
        """Store spans, skipping ones already stored; returns how many were new.

        A batch SQLite refuses for its values is repaired (:mod:`sanitize`) and
        written again; if that fails too, span by span, so only a span that cannot
        be stored at all is lost (counted in ``rejected``, logged once). Trouble
        with the store itself (locked, disk full) raises a :class:`StoreError`.
        """
        if self.readonly:
            raise StoreError(f"store {self.path} was opened read-only")
        if not spans:
            return 0
        with self._lock, self._translate():
            conn = self._ready()
            try:
                new = self._write_batch(conn, spans)
            except _BAD_ROW:
                new = self._write_repaired(conn, spans)
            self._writes += 1
            if self._writes == 1 or self._writes % self.retention_every == 0:
                sqlite_retention.retain(conn, self.max_age_s, self.max_bytes)
            return new

    def _write_batch(self, conn: sqlite3.Connection, spans: Sequence[Span]) -> int:
        with self._transaction(conn):
            new, resource_ids = sqlite_write.insert(conn, spans, self._resource_ids)
            sqlite_write.upsert_traces(conn, new)
            sqlite_write.upsert_rollup(conn, new)
        self._resource_ids.update(resource_ids)
        return len(new)

    def _write_repaired(self, conn: sqlite3.Connection, spans: Sequence[Span]) -> int:
        repaired: list[Span] = []
        for span in spans:
            try:
                repaired.append(sanitize.span(span))
            except Exception as exc:  # a value whose str() fails: nothing to store
                self._reject(span, exc)
        try:
            return self._write_batch(conn, repaired)
        except _BAD_ROW:
            pass
        new = 0
        for span in repaired:
            try:
                new += self._write_batch(conn, [span])
            except _BAD_ROW as exc:
                self._reject(span, exc)
        return new

    def _reject(self, span: Span, exc: BaseException) -> None:
        self.rejected += 1
        if not self._warned_rejected:
            self._warned_rejected = True
            _log.warning(
                "agentotel: the store could not record span %r of trace %r (%s: %s); "
                "other spans are recorded",
                getattr(span, "span_id", None),
                getattr(span, "trace_id", None),
                type(exc).__name__,
                exc,
            )

    def add_events(self, updates: Sequence[SpanEvents]) -> int:
        """Add events to stored spans in one transaction; returns how many were added."""
        if self.readonly:
            raise StoreError(f"store {self.path} was opened read-only")
        with self._lock, self._translate():
            conn = self._ready()
            with self._transaction(conn):
                return sqlite_write.add_events(conn, updates)

    def used_bytes(self) -> int:
        """Bytes the store's live pages take (the file may be larger until space is reclaimed)."""
        return self._read(sqlite_retention.used_bytes)

    def apply_retention(self) -> None:
        """Apply the age and size limits now (the writer also does so every few batches)."""
        with self._lock, self._translate():
            sqlite_retention.retain(self._ready(), self.max_age_s, self.max_bytes)

    # --- reading ---------------------------------------------------------------

    def _read(self, fn: Callable[..., _T], *args: Any) -> _T:
        with self._lock, self._translate():
            return fn(self._ready(), *args)

    def list_traces(self, flt: TraceFilter) -> list[TraceSummary]:
        return self._read(sqlite_read.list_traces, flt)

    def trace_summary(self, trace_id: str) -> TraceSummary | None:
        return self._read(sqlite_read.trace_summary, trace_id)

    def resolve_trace_id(self, prefix: str, limit: int = 5) -> list[str]:
        return self._read(sqlite_read.resolve_trace_id, prefix, limit)

    def latest_trace_id(self) -> str | None:
        return self._read(sqlite_read.latest_trace_id)

    def latest_run_id(self) -> str | None:
        return self._read(sqlite_read.latest_run_id)

    def run_ids(self, limit: int = 1000) -> list[str]:
        return self._read(sqlite_read.run_ids, limit)

    def revisions(self, limit: int = 1000) -> list[str]:
        return self._read(sqlite_read.revisions, limit)

    def resolve_span_id(self, prefix: str, limit: int = 5) -> list[tuple[str, str]]:
        return self._read(sqlite_read.resolve_span_id, prefix, limit)

    def tables(self) -> dict[str, list[str]]:
        return self._read(sqlite_read.tables)

    def has_attribute(self, key: str) -> bool:
        return self._read(sqlite_read.has_attribute, key)

    def attribute_keys(self, sample: int = 10_000) -> list[AttributeKey]:
        return self._read(sqlite_read.attribute_keys, sample)

    def trace_spans(self, trace_id: str) -> list[Span]:
        return self._read(sqlite_read.trace_spans, trace_id)

    def find_spans(self, flt: SpanFilter, full: bool = False) -> list[Span]:
        return self._read(sqlite_read.find_spans, flt, full)

    def stats(self, by: str, flt: SpanFilter) -> list[GroupStats]:
        # Read at call time, so tests (and tuning) can move the exact/approximate boundary.
        return self._read(sqlite_stats.stats, by, flt, EXACT_PERCENTILE_LIMIT)

    def usage_by_trace(self, trace_ids: Iterable[str]) -> dict[str, list[ModelUsage]]:
        return self._read(sqlite_read.usage_by_trace, list(trace_ids))

    def sql(
        self,
        text: str,
        limit: int,
        timeout_s: float | None = None,
        prices: Callable[[str | None, int, int, int, int], float | None] | None = None,
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run one read-only statement, stopped after ``timeout_s`` (None: no limit).

        With ``prices``, the views ``span_costs`` and ``trace_costs`` (a ``cost_usd``
        column per model call and per trace) can be read too.
        """
        if not self.readonly:
            raise StoreError("agentotel sql only runs on a store opened read-only")
        with self._lock:
            with self._translate():
                conn = self._ready()
                if prices is not None:
                    sqlite_read.cost_views(conn, prices)

            def authorize(action: int, *_: Any) -> int:
                return sqlite3.SQLITE_OK if action in _READ_ACTIONS else sqlite3.SQLITE_DENY

            deadline = None if timeout_s is None else time.monotonic() + timeout_s

            def past_deadline() -> int:
                return int(deadline is not None and time.monotonic() > deadline)

            conn.set_authorizer(authorize)
            if deadline is not None:
                conn.set_progress_handler(past_deadline, 10_000)
            try:
                cur = conn.execute(text)
                columns = [d[0] for d in cur.description or ()]
                rows = cur.fetchmany(min(max(limit, 0), _MAX_ROWS))
            except sqlite3.OperationalError as exc:
                if deadline is not None and time.monotonic() > deadline:
                    raise QueryTimeout(
                        f"query stopped after {timeout_s:g} s (raise --timeout or "
                        "AGENTOTEL_SQL_TIMEOUT)"
                    ) from None
                raise SQLiteQueryError(str(exc)) from None
            except (sqlite3.Error, OverflowError, ValueError) as exc:
                raise SQLiteQueryError(str(exc)) from None
            finally:
                conn.set_authorizer(None)
                conn.set_progress_handler(None, 0)
            return columns, rows
