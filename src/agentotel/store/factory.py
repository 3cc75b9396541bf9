"""Opening the configured trace backend, so callers never name a backend class."""

from __future__ import annotations

import os
from pathlib import Path

from agentotel.store import settings
from agentotel.store.backend import TraceBackend


def open_backend(
    path: str | os.PathLike[str] | None = None,
    *,
    readonly: bool = True,
    timeout_s: float | None = None,
) -> TraceBackend:
    """The store at ``path`` (default: ``AGENTOTEL_STORE`` or ``.agentotel/traces.db``).

    Read-only by default; a writable store is created (and its schema migrated)
    if need be, without retention limits, as for an import. Raises a
    :class:`~agentotel.store.errors.StoreError` subclass for a missing, locked,
    corrupt or newer-schema store.
    """
    from agentotel.store.sqlite import SQLiteStore

    target = Path(path) if path is not None else settings.default_path()
    wait = settings.timeout_s() if timeout_s is None else timeout_s
    if readonly:
        return SQLiteStore(target, readonly=True, timeout_s=wait)
    return SQLiteStore(target, readonly=False, timeout_s=wait, max_age_s=None, max_bytes=None)
