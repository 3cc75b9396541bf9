"""The bundled trace backend: one SQLite file in WAL mode, shared by many processes.

Writers take the write lock once per batch (``BEGIN IMMEDIATE``) and wait up to
the busy timeout for it, so several instrumented processes can record into one
file. Readers open the file read-only. Retention (age and size) runs on the
writer every few batches.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import os
import sqlite3
import stat
import threading
import time
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from agentotel import semconv
from agentotel.store import schema
from agentotel.store.errors import (
    StoreCorrupt,
    StoreError,
    StoreLocked,
    StoreMissing,
    StoreSchemaTooNew,
)
from agentotel.store.model import (
    LLM_OPERATIONS,
    Event,
    GroupStats,
    Link,
    ModelUsage,
    Span,
    SpanFilter,
    TraceFilter,
    TraceSummary,
)

BUCKETS_PER_E = 20
"""Duration buckets per factor of e (about 5% wide): percentiles of large groups come from them."""

EXACT_PERCENTILE_LIMIT = 50_000
"""Up to this many matching spans, percentiles are computed exactly."""

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
    "trace_id, root_name, root_span_id, start_ns, end_ns, span_count, llm_calls, tool_calls, "
    "input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, error_count, "
    "service_name, run_id, vcs_revision"
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

_LLM_IN = "(" + ", ".join(f"'{op}'" for op in LLM_OPERATIONS) + ")"

# stats --by KEY: the grouping expression and the spans that belong in such a group.
_GROUPS: dict[str, tuple[str, str | None]] = {
    "operation": ("s.operation", None),
    "model": ("coalesce(s.request_model, s.response_model)", f"s.operation IN {_LLM_IN}"),
    "tool": ("s.tool_name", "s.tool_name IS NOT NULL"),
    "agent": ("s.agent_name", f"s.operation = '{semconv.OP_INVOKE_AGENT}'"),
    "provider": ("s.provider", f"s.operation IN {_LLM_IN}"),
    "service": ("s.service_name", None),
    "run": ("s.run_id", None),
    "name": ("s.name", None),
}

_WHERE_OPS = ("!=", ">=", "<=", "=", ">", "<")
_COLUMN_ALIASES = {
    "name": "s.name",
    "kind": "s.kind",
    "status": "s.status",
    "trace_id": "s.trace_id",
    "span_id": "s.span_id",
    "parent_id": "s.parent_id",
    "duration_ns": "s.duration_ns",
    "service": "s.service_name",
    "run": "s.run_id",
}

# The authorizer codes a read-only `agentotel sql` statement may use.
_READ_ACTIONS = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    getattr(sqlite3, "SQLITE_RECURSIVE", 33),
}


def duration_bucket(duration_ns: int) -> int:
    """The log-scale bucket of a duration (bucket ``b`` spans ``e**(b/20)`` to ``e**((b+1)/20)`` ns)."""
    return int(math.log(max(duration_ns, 1)) * BUCKETS_PER_E)


def _bucket_mid(bucket: int) -> int:
    return int(math.exp((bucket + 0.5) / BUCKETS_PER_E))


def _rollup_keys(s: Span) -> list[tuple[str, str]]:
    """The (dimension, key) cells a span counts in; mirrors the membership rules of ``_GROUPS``.

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
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _error_for(exc: sqlite3.Error, path: Path) -> StoreError:
    """Map a sqlite3 error to a one-line store error."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return StoreLocked(f"store {path} is locked by another process (try again)")
    if "unable to open" in text:
        return StoreMissing(f"cannot open store {path}: {exc}")
    if "readonly" in text or "read-only" in text:
        return StoreError(f"store {path} is read-only: {exc}")
    return StoreCorrupt(f"store {path} is not a readable agentotel store ({exc})")


def _ensure_private_dir(folder: Path) -> None:
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)


def _ensure_private_file(path: Path) -> None:
    """Create the database file owner-only (SQLite gives its -wal and -shm files the same mode)."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)


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
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._inode: tuple[int, int] | None = None
        self._resource_ids: dict[str, int] = {}
        self._writes = 0
        self._connect()

    # --- connection ------------------------------------------------------------

    @contextlib.contextmanager
    def _translate(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise _error_for(exc, self.path) from None

    def _connect(self) -> None:
        with self._translate():
            if self.readonly:
                self._conn = self._open_readonly()
            else:
                self._conn = self._open_writable()
        self._pid = os.getpid()
        try:
            st = os.stat(self.path)
            self._inode = (st.st_dev, st.st_ino)
        except OSError:
            self._inode = None

    def _open_readonly(self) -> sqlite3.Connection:
        if not self.path.is_file():
            raise StoreMissing(f"no trace store at {self.path} (nothing recorded yet?)")
        uri = "file:" + urllib.parse.quote(str(self.path.resolve())) + "?mode=ro"
        conn = sqlite3.connect(
            uri, uri=True, timeout=self.timeout_s, check_same_thread=False, isolation_level=None
        )
        try:
            version = self._read_version(conn)
            if version is None:
                raise StoreMissing(f"store {self.path} is empty (nothing recorded yet?)")
            self._check_version(version)
            conn.execute("PRAGMA query_only = ON")
        except BaseException:
            conn.close()
            raise
        return conn

    def _open_writable(self) -> sqlite3.Connection:
        _ensure_private_dir(self.path.parent)
        _ensure_private_file(self.path)
        conn = sqlite3.connect(
            self.path, timeout=self.timeout_s, check_same_thread=False, isolation_level=None
        )
        try:
            version = self._read_version(conn)
            if version is not None:
                self._check_version(version)
            if version != schema.SCHEMA_VERSION:
                self._migrate(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            conn.close()
            raise
        return conn

    def _read_version(self, conn: sqlite3.Connection) -> int | None:
        """The schema version, or None for an empty file; raises for a foreign database."""
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if not tables:
            return None
        if schema.VERSION_TABLE not in tables:
            raise StoreCorrupt(f"{self.path} is a SQLite database but not an agentotel store")
        row = conn.execute(f"SELECT max(version) FROM {schema.VERSION_TABLE}").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _check_version(self, version: int) -> None:
        if version > schema.SCHEMA_VERSION:
            raise StoreSchemaTooNew(
                f"store {self.path} has schema version {version}; this agentotel reads up to "
                f"{schema.SCHEMA_VERSION} (upgrade agentotel)"
            )
        if self.readonly and version < schema.SCHEMA_VERSION:
            raise StoreError(
                f"store {self.path} has old schema version {version}; recording into it "
                "with this agentotel upgrades it"
            )

    def _migrate(self, conn: sqlite3.Connection) -> None:
        fresh = not conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone()
        if fresh:
            # Must precede the first table; lets retention give space back to the OS.
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = self._read_version(conn) or 0  # another process may have migrated meanwhile
            self._check_version(current)
            for version in range(current + 1, schema.SCHEMA_VERSION + 1):
                for statement in schema.MIGRATIONS[version]:
                    conn.execute(statement)
                conn.execute(f"DELETE FROM {schema.VERSION_TABLE}")
                conn.execute(f"INSERT INTO {schema.VERSION_TABLE} (version) VALUES (?)", (version,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

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

    # --- writing ----------------------------------------------------------------

    def write(self, spans: Sequence[Span]) -> int:
        if self.readonly:
            raise StoreError(f"store {self.path} was opened read-only")
        if not spans:
            return 0
        with self._lock, self._translate():
            conn = self._ready()
            conn.execute("BEGIN IMMEDIATE")
            try:
                new, resource_ids = self._insert(conn, spans)
                self._upsert_traces(conn, new)
                self._upsert_rollup(conn, new)
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
            self._resource_ids.update(resource_ids)
            self._writes += 1
            if self._writes == 1 or self._writes % self.retention_every == 0:
                self._retain(conn)
            return len(new)

    def _resource_id(self, conn: sqlite3.Connection, text: str, pending: dict[str, int]) -> int:
        known = self._resource_ids.get(text) or pending.get(text)
        if known is not None:
            return known
        digest = hashlib.sha256(text.encode()).hexdigest()
        conn.execute(
            "INSERT OR IGNORE INTO resources (hash, attributes) VALUES (?, ?)", (digest, text)
        )
        row = conn.execute("SELECT id FROM resources WHERE hash = ?", (digest,)).fetchone()
        pending[text] = int(row[0])
        return pending[text]

    def _insert(
        self, conn: sqlite3.Connection, spans: Sequence[Span]
    ) -> tuple[list[Span], dict[str, int]]:
        pending: dict[str, int] = {}
        resource_text: dict[int, str] = {}  # by id(): every span of a batch shares one dict
        rows = []
        for s in spans:
            key = id(s.resource)
            text = resource_text.get(key)
            if text is None:
                text = resource_text[key] = _dumps(dict(sorted(s.resource.items())))
            duration = s.duration_ns
            rows.append(
                (
                    s.trace_id, s.span_id, s.parent_id, int(s.parent_is_remote), s.name, s.kind,
                    s.start_ns, s.end_ns, duration, duration_bucket(duration), s.status,
                    s.status_message, s.error_type, s.operation, s.provider, s.request_model,
                    s.response_model, s.agent_name, s.tool_name, s.tool_call_id, s.input_tokens,
                    s.output_tokens, s.cache_read_tokens, s.cache_creation_tokens, s.service_name,
                    s.run_id, s.vcs_revision, s.scope_name,
                    self._resource_id(conn, text, pending),
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
                    _dumps([[e.name, e.time_ns, e.attributes] for e in s.events])
                    if s.events
                    else None,
                    _dumps([[lk.trace_id, lk.span_id, lk.attributes] for lk in s.links])
                    if s.links
                    else None,
                    s.scope_version,
                )
            )
        conn.executemany(_INSERT_DATA, data)
        return new, pending

    def _upsert_traces(self, conn: sqlite3.Connection, spans: Iterable[Span]) -> None:
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

    def _upsert_rollup(self, conn: sqlite3.Connection, spans: Iterable[Span]) -> None:
        cells: dict[tuple[str, str, int, str, str, int], list[int]] = {}
        for s in spans:
            run = s.run_id or ""
            duration = s.duration_ns
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

    # --- retention -------------------------------------------------------------

    def _retain(self, conn: sqlite3.Connection) -> None:
        """Drop whole traces older than ``max_age_s``, then oldest ones until under ``max_bytes``."""
        removed = 0
        if self.max_age_s is not None and self.max_age_s > 0:
            cutoff = time.time_ns() - int(self.max_age_s * 1e9)
            removed += self._drop_traces(
                conn, "SELECT trace_id FROM traces WHERE end_ns < ? LIMIT 1000", (cutoff,)
            )
        if self.max_bytes is not None and self.max_bytes > 0:
            for _ in range(20):
                used = self.used_bytes()
                if used <= self.max_bytes:
                    break
                count = conn.execute("SELECT count(*) FROM traces").fetchone()[0]
                if not count:
                    break
                # Drop the share of traces that should bring the file to 90% of the limit.
                share = 1.0 - 0.9 * self.max_bytes / used
                n = max(1, math.ceil(count * share))
                dropped = self._drop_traces(
                    conn, "SELECT trace_id FROM traces ORDER BY start_ns LIMIT ?", (n,)
                )
                if not dropped:
                    break
                removed += dropped
        if removed:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("PRAGMA incremental_vacuum")
        with contextlib.suppress(sqlite3.Error):
            conn.execute("PRAGMA optimize")  # keeps the planner's statistics current

    def _drop_traces(self, conn: sqlite3.Connection, select: str, params: tuple[Any, ...]) -> int:
        total = 0
        while True:
            conn.execute("BEGIN IMMEDIATE")
            try:
                ids = [row[0] for row in conn.execute(select, params)]
                if ids:
                    self._retire_rollup(conn, ids)
                for start in range(0, len(ids), 500):
                    chunk = ids[start : start + 500]
                    marks = ", ".join("?" * len(chunk))
                    conn.execute(
                        "DELETE FROM span_data WHERE span_id IN "
                        f"(SELECT id FROM spans WHERE trace_id IN ({marks}))",
                        chunk,
                    )
                    conn.execute(f"DELETE FROM spans WHERE trace_id IN ({marks})", chunk)
                    conn.execute(f"DELETE FROM traces WHERE trace_id IN ({marks})", chunk)
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
            total += len(ids)
            if "LIMIT 1000" not in select or len(ids) < 1000:
                return total

    def _retire_rollup(self, conn: sqlite3.Connection, trace_ids: list[str]) -> None:
        """Stop trusting rollup hours that the traces about to be dropped had spans in."""
        newest = 0
        for start in range(0, len(trace_ids), 500):
            chunk = trace_ids[start : start + 500]
            row = conn.execute(
                f"SELECT max(end_ns) FROM traces WHERE trace_id IN ({', '.join('?' * len(chunk))})",
                chunk,
            ).fetchone()
            newest = max(newest, row[0] or 0)
        first_valid = newest // HOUR_NS + 1
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('rollup_from_hour', ?) ON CONFLICT (key) "
            "DO UPDATE SET value = max(value, excluded.value)",
            (first_valid,),
        )
        conn.execute("DELETE FROM rollup WHERE hour < ?", (first_valid,))

    def used_bytes(self) -> int:
        """Bytes the store's live pages take (the file may be larger until space is reclaimed)."""
        conn = self._ready()
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        return int((pages - free) * size)

    def apply_retention(self) -> None:
        """Apply the age and size limits now (the writer also does so every few batches)."""
        with self._lock, self._translate():
            self._retain(self._ready())

    # --- reading ---------------------------------------------------------------

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock, self._translate():
            return self._ready().execute(sql, params).fetchall()

    def list_traces(self, flt: TraceFilter) -> list[TraceSummary]:
        where: list[str] = []
        params: list[Any] = []
        if flt.since_ns is not None:
            where.append("start_ns >= ?")
            params.append(flt.since_ns)
        if flt.until_ns is not None:
            where.append("start_ns < ?")
            params.append(flt.until_ns)
        if flt.run_id is not None:
            where.append("run_id = ?")
            params.append(flt.run_id)
        if flt.service is not None:
            where.append("service_name = ?")
            params.append(flt.service)
        if flt.status == "error":
            where.append("error_count > 0")
        elif flt.status == "ok":
            where.append("error_count = 0")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = self._query(
            f"SELECT {_TRACE_COLUMNS} FROM traces{clause} ORDER BY start_ns DESC LIMIT ?",
            [*params, flt.limit],
        )
        return [TraceSummary(*row) for row in rows]

    def trace_summary(self, trace_id: str) -> TraceSummary | None:
        rows = self._query(f"SELECT {_TRACE_COLUMNS} FROM traces WHERE trace_id = ?", [trace_id])
        return TraceSummary(*rows[0]) if rows else None

    def resolve_trace_id(self, prefix: str, limit: int = 5) -> list[str]:
        prefix = prefix.lower()
        rows = self._query(
            "SELECT trace_id FROM traces WHERE trace_id >= ? AND trace_id < ? LIMIT ?",
            [prefix, prefix + "~", limit],
        )
        return [row[0] for row in rows]

    def latest_trace_id(self) -> str | None:
        rows = self._query("SELECT trace_id FROM traces ORDER BY start_ns DESC LIMIT 1")
        return rows[0][0] if rows else None

    def latest_run_id(self) -> str | None:
        rows = self._query(
            "SELECT run_id FROM traces WHERE run_id IS NOT NULL ORDER BY start_ns DESC LIMIT 1"
        )
        return rows[0][0] if rows else None

    def trace_spans(self, trace_id: str) -> list[Span]:
        rows = self._query(
            f"SELECT {_SELECT_SPAN}{_SELECT_FULL} FROM spans s{_FROM_FULL} "
            "WHERE s.trace_id = ? ORDER BY s.start_ns, s.id",
            [trace_id],
        )
        return [self._span(row, full=True) for row in rows]

    def find_spans(self, flt: SpanFilter, full: bool = False) -> list[Span]:
        clause, params, needs_data = self._span_where(flt, join=False)
        if full or needs_data:
            sql = f"SELECT {_SELECT_SPAN}{_SELECT_FULL} FROM spans s{_FROM_FULL}{clause}"
        else:
            sql = f"SELECT {_SELECT_SPAN} FROM spans s{clause}"
        order = "s.duration_ns DESC" if flt.sort == "duration" else "s.start_ns DESC"
        rows = self._query(f"{sql} ORDER BY {order} LIMIT ?", [*params, flt.limit])
        return [self._span(row, full=full) for row in rows]

    def _span_where(
        self, flt: SpanFilter, extra: str | None = None, join: bool = True
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
            if cond.op not in _WHERE_OPS:
                raise ValueError(f"unknown operator {cond.op!r}")
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
            where.append(f"{column} {cond.op} ?")
            params.append(value)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        if needs_data and join:
            clause = " LEFT JOIN span_data d ON d.span_id = s.id" + clause
        return clause, params, needs_data

    def _span(self, row: Sequence[Any], full: bool) -> Span:
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

    def stats(self, by: str, flt: SpanFilter) -> list[GroupStats]:
        if by not in _GROUPS:
            raise ValueError(f"cannot group by {by!r}; choose one of {', '.join(_GROUPS)}")
        hist: list[tuple[Any, ...]] = []
        usage: list[tuple[Any, ...]] = []
        raw_ranges: list[tuple[int | None, int | None]] = [(flt.since_ns, flt.until_ns)]
        exact = True
        if self._rollup_applies(by, flt):
            # Whole hours come from the rollup; the partial hours at the edges from spans.
            first = self._rollup_from()
            if flt.since_ns is not None:
                first = max(first, -(-flt.since_ns // HOUR_NS))
            last = None if flt.until_ns is None else flt.until_ns // HOUR_NS
            if last is None or first < last:
                hist += self._rollup_hist(by, first, last, flt.run_id)
                usage += self._rollup_usage(by, first, last, flt.run_id)
                raw_ranges = [(flt.since_ns, first * HOUR_NS)]
                if last is not None:
                    raw_ranges.append((last * HOUR_NS, flt.until_ns))
                exact = False
        # The edges of a rollup window are time ranges: make the planner walk a time index.
        index = (
            "" if exact else " INDEXED BY spans_run" if flt.run_id else " INDEXED BY spans_start"
        )
        for since_ns, until_ns in raw_ranges:
            part = dataclasses.replace(flt, since_ns=since_ns, until_ns=until_ns)
            hist += self._raw_hist(by, part, index)
            usage += self._raw_usage(by, part, index)

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
        if exact and total <= EXACT_PERCENTILE_LIMIT:
            key, condition = _GROUPS[by]
            clause, params, _ = self._span_where(flt, condition)
            durations: dict[Any, list[int]] = {}
            for k, d in self._query(
                f"SELECT {key} AS k, s.duration_ns FROM spans s{clause}", params
            ):
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
        ordered = sorted(groups.values(), key=lambda g: (-g.count, str(g.key)))
        return ordered[: flt.limit]

    def _raw_hist(self, by: str, flt: SpanFilter, index: str = "") -> list[tuple[Any, ...]]:
        key, condition = _GROUPS[by]
        clause, params, _ = self._span_where(flt, condition)
        return self._query(
            f"SELECT {key} AS k, s.duration_bucket, count(*), "
            "sum(s.status = 'error'), sum(coalesce(s.input_tokens, 0)), "
            "sum(coalesce(s.output_tokens, 0)), sum(coalesce(s.cache_read_tokens, 0)), "
            "sum(coalesce(s.cache_creation_tokens, 0)), min(s.duration_ns), max(s.duration_ns) "
            f"FROM spans s{index}{clause} GROUP BY k, s.duration_bucket",
            params,
        )

    def _raw_usage(self, by: str, flt: SpanFilter, index: str = "") -> list[tuple[Any, ...]]:
        key, condition = _GROUPS[by]
        has_tokens = "(s.input_tokens IS NOT NULL OR s.output_tokens IS NOT NULL)"
        clause, params, _ = self._span_where(
            flt, f"{condition} AND {has_tokens}" if condition else has_tokens
        )
        return self._query(
            f"SELECT {key} AS k, coalesce(s.request_model, s.response_model) AS m, count(*), "
            "sum(coalesce(s.input_tokens, 0)), sum(coalesce(s.output_tokens, 0)), "
            "sum(coalesce(s.cache_read_tokens, 0)), sum(coalesce(s.cache_creation_tokens, 0)) "
            f"FROM spans s{index}{clause} GROUP BY k, m",
            params,
        )

    def _rollup_applies(self, by: str, flt: SpanFilter) -> bool:
        """Rollups answer time-window-only stats, and are worth it only for big stores."""
        if by not in ROLLUP_DIMS:
            return False
        narrowed = (
            flt.operation, flt.model, flt.tool, flt.agent, flt.name, flt.status,
            flt.min_duration_ns, flt.trace_id, flt.service,
        )  # fmt: skip
        if any(v is not None for v in narrowed) or flt.where:
            return False
        count = self._query("SELECT count(*) FROM spans")[0][0]
        return bool(count > EXACT_PERCENTILE_LIMIT)

    def _rollup_from(self) -> int:
        rows = self._query("SELECT value FROM meta WHERE key = 'rollup_from_hour'")
        return int(rows[0][0]) if rows else 0

    def _rollup_window(
        self, first: int, last: int | None, run_id: str | None
    ) -> tuple[str, list[Any]]:
        where: list[str] = ["hour >= ?"]
        params: list[Any] = [first]
        if last is not None:
            where.append("hour < ?")
            params.append(last)
        where.append("run_id = ?")
        params.append(ALL_RUNS if run_id is None else run_id)
        return " AND ".join(where), params

    def _rollup_hist(
        self, by: str, first: int, last: int | None, run_id: str | None
    ) -> list[tuple[Any, ...]]:
        window, params = self._rollup_window(first, last, run_id)
        rows = self._query(
            "SELECT key, bucket, sum(count), sum(errors), sum(input_tokens), sum(output_tokens), "
            "sum(cache_read_tokens), sum(cache_creation_tokens), min(min_ns), max(max_ns) "
            f"FROM rollup WHERE dim = ? AND {window} GROUP BY key, bucket",
            [by, *params],
        )
        return [(r[0] or None, *r[1:]) for r in rows]

    def _rollup_usage(
        self, by: str, first: int, last: int | None, run_id: str | None
    ) -> list[tuple[Any, ...]]:
        window, params = self._rollup_window(first, last, run_id)
        rows = self._query(
            "SELECT key, model, sum(count), sum(input_tokens), sum(output_tokens), "
            "sum(cache_read_tokens), sum(cache_creation_tokens) "
            f"FROM rollup WHERE dim = ? AND {window} GROUP BY key, model "
            "HAVING sum(input_tokens) + sum(output_tokens) > 0",
            [by, *params],
        )
        return [(r[0] or None, r[1] or None, *r[2:]) for r in rows]

    def usage_by_trace(self, trace_ids: Iterable[str]) -> dict[str, list[ModelUsage]]:
        ids = list(trace_ids)
        out: dict[str, list[ModelUsage]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self._query(
                "SELECT s.trace_id, coalesce(s.request_model, s.response_model) AS m, count(*), "
                "sum(coalesce(s.input_tokens, 0)), sum(coalesce(s.output_tokens, 0)), "
                "sum(coalesce(s.cache_read_tokens, 0)), "
                "sum(coalesce(s.cache_creation_tokens, 0)) FROM spans s "
                f"WHERE s.trace_id IN ({', '.join('?' * len(chunk))}) "
                # "+" keeps the planner on the trace index rather than the operation one.
                f"AND +s.operation IN {_LLM_IN} GROUP BY s.trace_id, m",
                chunk,
            )
            for tid, m, n, tin, tout, tcr, tcc in rows:
                out.setdefault(tid, []).append(ModelUsage(m, n, tin, tout, tcr, tcc))
        return out

    def sql(self, text: str, limit: int) -> tuple[list[str], list[tuple[Any, ...]]]:
        if not self.readonly:
            raise StoreError("agentotel sql only runs on a store opened read-only")
        with self._lock:
            conn = self._ready()

            def authorize(action: int, *_: Any) -> int:
                return sqlite3.SQLITE_OK if action in _READ_ACTIONS else sqlite3.SQLITE_DENY

            conn.set_authorizer(authorize)
            try:
                cur = conn.execute(text)
                columns = [d[0] for d in cur.description or ()]
                rows = cur.fetchmany(limit)
            finally:
                conn.set_authorizer(None)
            return columns, rows


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


def file_mode_ok(path: Path) -> bool:
    """True when the store file is readable and writable by its owner only."""
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0
