"""Opening the configured trace backend, so callers never name a backend class."""

from __future__ import annotations

import os
from pathlib import Path

from agentotel.store import settings
from agentotel.store.backend import TraceBackend
from agentotel.store.clickhouse_target import display, is_clickhouse, parse

__all__ = ["display", "is_clickhouse", "open_backend", "store_location"]


def store_location(text: str | None) -> str | Path:
    """What ``--store TEXT`` names: a ClickHouse URL as given, else a path (default if None)."""
    if text is None or text == "":
        return settings.default_location()
    return text if is_clickhouse(text) else Path(text)


def open_backend(
    path: str | os.PathLike[str] | None = None,
    *,
    readonly: bool = True,
    timeout_s: float | None = None,
) -> TraceBackend:
    """The store at ``path`` (default: ``AGENTOTEL_STORE`` or ``.agentotel/traces.db``).

    ``path`` may also be a ``clickhouse://`` URL or ``chdb:PATH`` (see docs/clickhouse.md).

    Read-only by default; a writable store is created (and its schema migrated)
    if need be, without retention limits, as for an import. Raises a
    :class:`~agentotel.store.errors.StoreError` subclass for a missing, locked,
    corrupt or newer-schema store.
    """
    from agentotel.store.sqlite import SQLiteStore

    location = path if path is not None else settings.default_location()
    wait = settings.timeout_s() if timeout_s is None else timeout_s
    if is_clickhouse(location):
        from agentotel.store.clickhouse import ClickHouseStore

        return ClickHouseStore(parse(str(location)), readonly=readonly, timeout_s=wait)
    target = Path(location)
    if readonly:
        return SQLiteStore(target, readonly=True, timeout_s=wait)
    return SQLiteStore(target, readonly=False, timeout_s=wait, max_age_s=None, max_bytes=None)
