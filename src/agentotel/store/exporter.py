"""``StoreSpanExporter``: the SpanExporter that records finished spans into the local store.

It runs wherever its span processor calls it; behind a batching processor that
is the worker thread, never the application's. A store that cannot be written
(locked past the busy timeout, unwritable directory) costs the batch, not the
application: the failure is logged once and ``FAILURE`` returned.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from agentotel import _safety
from agentotel.store import settings as store_settings
from agentotel.store.convert import from_readable, plain_attributes
from agentotel.store.errors import StoreError
from agentotel.store.model import Span
from agentotel.store.sqlite import SQLiteStore

_log = logging.getLogger("agentotel")


class StoreSpanExporter(SpanExporter):
    """Write span batches into the SQLite store at ``path`` (default: :func:`default_path`).

    The store is opened lazily on the first batch, so constructing the exporter
    never touches the disk. Retention limits default to ``AGENTOTEL_STORE_MAX_AGE``
    and ``AGENTOTEL_STORE_MAX_SIZE``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        max_age_s: float | None = None,
        max_bytes: int | None = None,
        timeout_s: float | None = None,
        retention_every: int = 200,
    ) -> None:
        self.path = os.fspath(path) if path is not None else str(store_settings.default_path())
        self._max_age_s = store_settings.max_age_s() if max_age_s is None else max_age_s
        self._max_bytes = store_settings.max_bytes() if max_bytes is None else max_bytes
        self._timeout_s = store_settings.timeout_s() if timeout_s is None else timeout_s
        self._retention_every = retention_every
        self._store: SQLiteStore | None = None
        self._lock = threading.Lock()
        self._shutdown = False
        self._warned = False
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
                self._open().write(records)
            return SpanExportResult.SUCCESS
        except (StoreError, sqlite3.Error, OSError) as exc:
            # Operational trouble (locked, disk full, permissions): not a bug, so no strict raise.
            if not self._warned:
                self._warned = True
                _log.warning("agentotel: could not record spans into %s: %s", self.path, exc)
            return SpanExportResult.FAILURE
        except Exception as exc:
            _safety.report("store.export", exc)
            return SpanExportResult.FAILURE

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True  # every export commits before returning

    def shutdown(self) -> None:
        with self._lock:
            self._shutdown = True
            if self._store is not None:
                self._store.close()
                self._store = None
