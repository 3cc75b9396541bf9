"""Opening a SQLite store file: private file modes, schema version checks, migrations, errors.

Every SQLite error a caller can meet is mapped here to a one-line
:class:`~agentotel.store.errors.StoreError`, so nothing above the store sees
``sqlite3`` types.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
import urllib.parse
from pathlib import Path

from agentotel.store import schema
from agentotel.store.errors import (
    StoreCorrupt,
    StoreError,
    StoreFull,
    StoreLocked,
    StoreMissing,
    StoreSchemaTooNew,
)


def error_for(exc: sqlite3.Error | OSError, path: Path) -> StoreError:
    """Map a sqlite3 (or file system) error to a one-line store error."""
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return StoreFull(f"store {path}: the disk is full ({exc.strerror or exc})")
        return StoreError(f"cannot use store {path}: {exc.strerror or exc}")
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return StoreLocked(f"store {path} is locked by another process (try again)")
    if "full" in text:  # SQLITE_FULL: "database or disk is full"
        return StoreFull(
            f"store {path}: the disk is full ({exc}); free space or lower AGENTOTEL_STORE_MAX_SIZE"
        )
    if "unable to open" in text:
        return StoreMissing(f"cannot open store {path}: {exc}")
    if "readonly" in text or "read-only" in text:
        return StoreError(f"store {path} is read-only: {exc}")
    if "disk i/o" in text:
        return StoreError(f"store {path}: disk I/O error ({exc})")
    return StoreCorrupt(f"store {path} is not a readable agentotel store ({exc})")


def ensure_private_dir(folder: Path) -> None:
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)


def ensure_private_file(path: Path) -> None:
    """Create the database file owner-only (SQLite gives its -wal and -shm files the same mode)."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def file_mode_ok(path: Path) -> bool:
    """True when the store file is readable and writable by its owner only."""
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def read_version(conn: sqlite3.Connection, path: Path) -> int | None:
    """The schema version, or None for an empty file; raises for a foreign database."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables:
        return None
    if schema.VERSION_TABLE not in tables:
        raise StoreCorrupt(f"{path} is a SQLite database but not an agentotel store")
    row = conn.execute(f"SELECT max(version) FROM {schema.VERSION_TABLE}").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def check_version(version: int, path: Path, readonly: bool) -> None:
    if version > schema.SCHEMA_VERSION:
        raise StoreSchemaTooNew(
            f"store {path} has schema version {version}; this agentotel reads up to "
            f"{schema.SCHEMA_VERSION} (upgrade agentotel)"
        )
    if readonly and version < schema.SCHEMA_VERSION:
        raise StoreError(
            f"store {path} has old schema version {version}; recording into it "
            "with this agentotel upgrades it"
        )


def open_readonly(path: Path, timeout_s: float) -> sqlite3.Connection:
    if not path.is_file():
        raise StoreMissing(f"no trace store at {path} (nothing recorded yet?)")
    uri = "file:" + urllib.parse.quote(str(path.resolve())) + "?mode=ro"
    conn = sqlite3.connect(
        uri, uri=True, timeout=timeout_s, check_same_thread=False, isolation_level=None
    )
    try:
        version = read_version(conn, path)
        if version is None:
            raise StoreMissing(f"store {path} is empty (nothing recorded yet?)")
        check_version(version, path, readonly=True)
        conn.execute("PRAGMA query_only = ON")
    except BaseException:
        conn.close()
        raise
    return conn


def open_writable(path: Path, timeout_s: float) -> sqlite3.Connection:
    ensure_private_dir(path.parent)
    ensure_private_file(path)
    conn = sqlite3.connect(path, timeout=timeout_s, check_same_thread=False, isolation_level=None)
    try:
        version = read_version(conn, path)
        if version is not None:
            check_version(version, path, readonly=False)
        if version != schema.SCHEMA_VERSION:
            migrate(conn, path)
        conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    fresh = not conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone()
    if fresh:
        # Must precede the first table; lets retention give space back to the OS.
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
    if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = read_version(conn, path) or 0  # another process may have migrated meanwhile
        check_version(current, path, readonly=False)
        for version in range(current + 1, schema.SCHEMA_VERSION + 1):
            for statement in schema.MIGRATIONS[version]:
                conn.execute(statement)
            conn.execute(f"DELETE FROM {schema.VERSION_TABLE}")
            conn.execute(f"INSERT INTO {schema.VERSION_TABLE} (version) VALUES (?)", (version,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
