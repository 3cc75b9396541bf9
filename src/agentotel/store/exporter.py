"""``StoreSpanExporter``: the SpanExporter that records finished spans into the local store.

It runs wherever its span processor calls it; behind a batching processor that
is the worker thread, never the application's. :func:`store_processor` builds
that processor sized for the store (which writes about 17-21k spans per CPU
second): a queue of about half a second of writing on an idle core, batches of
a thousand spans per transaction, and ``on_end`` waiting briefly for room
instead of dropping while the store is merely slow.

A store locked by another process is retried with backoff (up to
``AGENTOTEL_STORE_LOCK_WAIT``) while new spans wait in the processor's bounded
queue. Other trouble (a full disk, an unwritable directory) costs the batch, not
the application: it is logged once per kind, with its own message, and
``FAILURE`` returned.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from agentotel import _safety
from agentotel.store import settings as store_settings
from agentotel.store.convert import from_readable, plain_attributes
from agentotel.store.errors import StoreError, StoreLocked
from agentotel.store.model import Span
from agentotel.store.sqlite import SQLiteStore

if TYPE_CHECKING:
    from agentotel.export import BatchSpanProcessor

_log = logging.getLogger("agentotel")

BACKOFF_S = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0)
"""Pauses between attempts while the store is locked (the last one repeats)."""


class StoreSpanExporter(SpanExporter):
    """Write span batches into the SQLite store at ``path`` (default: :func:`default_path`).

    The store is opened lazily on the first batch, so constructing the exporter
    never touches the disk. Retention limits default to ``AGENTOTEL_STORE_MAX_AGE``
    and ``AGENTOTEL_STORE_MAX_SIZE``; ``lock_wait_s`` (``AGENTOTEL_STORE_LOCK_WAIT``)
    bounds how long a batch is retried while another process holds the store.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        max_age_s: float | None = None,
        max_bytes: int | None = None,
        timeout_s: float | None = None,
        retention_every: int = 200,
        lock_wait_s: float | None = None,
    ) -> None:
        self.path = os.fspath(path) if path is not None else str(store_settings.default_path())
        self._max_age_s = store_settings.max_age_s() if max_age_s is None else max_age_s
        self._max_bytes = store_settings.max_bytes() if max_bytes is None else max_bytes
        self._timeout_s = store_settings.timeout_s() if timeout_s is None else timeout_s
        self._lock_wait_s = store_settings.lock_wait_s() if lock_wait_s is None else lock_wait_s
        self._retention_every = retention_every
        self._store: SQLiteStore | None = None
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._shutdown = False
        self._warned: set[type[BaseException]] = set()
        self._resources: dict[int, tuple[Any, dict[str, Any]]] = {}

    def _open(self) -> SQLiteStore:
        if self._store is None:
            self._store = SQLiteStore(
                self.path,
                readonly=False,
                timeout_s=self._timeout_s,
                max_age_s=self._max_age_s,
                max_bytes=self._max_bytes,
                retention_every=self._retention_every,
            )
        return self._store

    def _resource(self, span: ReadableSpan) -> dict[str, Any]:
        """The span's resource as plain data, converted once per Resource object."""
        resource = span.resource
        cached = self._resources.get(id(resource))
        if cached is not None and cached[0] is resource:
            return cached[1]
        plain = plain_attributes(resource.attributes)
        if len(self._resources) > 64:
            self._resources.clear()
        self._resources[id(resource)] = (resource, plain)
        return plain

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._shutdown:
            return SpanExportResult.FAILURE
        try:
            with self._lock:
                records: list[Span] = []
                for span in spans:
                    record = from_readable(span, self._resource(span))
                    if record is not None:
                        records.append(record)
                self._write(records)
            return SpanExportResult.SUCCESS
        except (StoreError, OSError) as exc:
            # Operational trouble (locked, disk full, permissions): not a bug, so no strict raise.
            if type(exc) not in self._warned:
                self._warned.add(type(exc))
                _log.warning(
                    "agentotel: could not record %d spans into %s: %s", len(spans), self.path, exc
                )
            return SpanExportResult.FAILURE
        except Exception as exc:
            _safety.report("store.export", exc)
            return SpanExportResult.FAILURE

    def _write(self, records: list[Span]) -> None:
        """Write, retrying with backoff while another process holds the store locked."""
        deadline = time.monotonic() + self._lock_wait_s
        attempt = 0
        while True:
            try:
                self._open().write(records)
                return
            except StoreLocked:
                pause = BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]
                attempt += 1
                if time.monotonic() + pause > deadline or self._closing.wait(pause):
                    raise

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True  # every export commits before returning

    def shutdown(self) -> None:
        self._closing.set()  # ends a lock retry in progress
        if not self._lock.acquire(timeout=1.0):  # a write still waiting on SQLite: leave it
            self._shutdown = True
            return
        try:
            self._shutdown = True
            if self._store is not None:
                self._store.close()
                self._store = None
        finally:
            self._lock.release()


def store_processor(exporter: SpanExporter | None = None) -> BatchSpanProcessor:
    """The span processor for the local store, sized for SQLite's write speed.

    Queue and batch sizes come from ``AGENTOTEL_STORE_QUEUE_SIZE`` and
    ``AGENTOTEL_STORE_BATCH_SIZE``; when the queue is full a span's end waits up
    to ``AGENTOTEL_STORE_BLOCK`` for room (once per stall) before spans drop.
    """
    from agentotel.export import BatchSpanProcessor

    return BatchSpanProcessor(
        exporter if exporter is not None else StoreSpanExporter(),
        max_queue_size=store_settings.queue_size(),
        max_export_batch_size=store_settings.batch_size(),
        block_on_full_millis=store_settings.block_s() * 1000.0,
    )
