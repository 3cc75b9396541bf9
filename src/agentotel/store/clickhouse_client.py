"""The two ways agentotel talks to ClickHouse, behind one small interface.

:class:`HTTPClient` uses clickhouse-connect against a server; :class:`ChdbClient`
runs the engine in-process with chdb. Both take SQL text (values are inlined
with :func:`literal`), return JSONCompact results, and turn engine failures
into :mod:`agentotel.store.errors` with a one-line message that never shows a
password.
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from typing import Any, Protocol

from agentotel.store.clickhouse_target import Target
from agentotel.store.errors import (
    InvalidQuery,
    QueryTimeout,
    StoreError,
    StoreLocked,
    StoreMissing,
)

Rows = tuple[list[str], list[list[Any]]]
_CODE = re.compile(r"Code:\s*(\d+)")
_MISSING = {60, 81}  # UNKNOWN_TABLE, UNKNOWN_DATABASE
_AUTH = {192, 193, 194, 516}  # UNKNOWN_USER, WRONG_PASSWORD, REQUIRED_PASSWORD, AUTH_FAILED
_TIMEOUT = {159}  # TIMEOUT_EXCEEDED
_chdb_lock = threading.Lock()
_chdb_open: dict[str, Any] = {}  # chdb holds one directory per process


class Client(Protocol):
    def query(self, sql: str, settings: dict[str, Any] | None = None) -> Rows: ...

    def insert(self, table: str, lines: str) -> None: ...

    def close(self) -> None: ...


def literal(value: Any) -> str:
    """A Python value as a ClickHouse SQL literal."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def _first_line(text: str, secret: str | None) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "unknown error")
    line = re.sub(r"\s*\(version [^)]*\)", "", line)
    if secret:
        line = line.replace(secret, "***")
    return line[:300]


def error_for(exc: BaseException, target: Target, sql_error: bool = False) -> Exception:
    """The store error (or ``InvalidQuery`` for a user's statement) for an engine failure."""
    text = _first_line(str(exc), target.password)
    where = target.display()
    match = _CODE.search(text)
    code = int(match.group(1)) if match else None
    if code in _TIMEOUT:
        return QueryTimeout(
            "query stopped at its time limit (raise --timeout or AGENTOTEL_SQL_TIMEOUT)"
        )
    if code in _AUTH:
        return StoreError(f"ClickHouse at {where} refused the credentials (check the user, "
                          "password, CLICKHOUSE_USER and CLICKHOUSE_PASSWORD)")  # fmt: skip
    if sql_error and code is not None:
        return InvalidQuery(re.sub(r"^Code:\s*\d+\.\s*(DB::Exception:\s*)?", "", text))
    if code in _MISSING:
        return StoreMissing(f"{where}: {text}")
    if code is None and ("Connection refused" in text or "Max retries" in text
                         or "Failed to establish" in text or "timed out" in text
                         or "Name or service not known" in text):  # fmt: skip
        return StoreError(f"cannot reach ClickHouse at {where} (is the server running?)")
    return StoreError(f"ClickHouse at {where}: {text}")


def _parse(payload: bytes | str) -> Rows:
    if not payload:
        return [], []
    doc = json.loads(payload)
    return [m["name"] for m in doc.get("meta", [])], doc.get("data", [])


class HTTPClient:
    """A ClickHouse server over HTTP(S), through clickhouse-connect."""

    def __init__(self, target: Target, timeout_s: float = 10.0) -> None:
        try:
            import clickhouse_connect
        except ImportError:
            raise StoreError(
                "clickhouse:// stores need clickhouse-connect: pip install 'agentotel[clickhouse]'"
            ) from None
        self.target = target
        self._fixed_settings = False
        try:
            self._client = clickhouse_connect.get_client(
                host=target.host,
                port=target.port,
                username=target.user or "default",
                password=target.password or "",
                secure=target.secure,
                connect_timeout=max(1, int(timeout_s)),
                send_receive_timeout=300,
                autogenerate_session_id=False,
            )
        except Exception as exc:
            raise error_for(exc, target) from None

    def query(self, sql: str, settings: dict[str, Any] | None = None) -> Rows:
        merged = {"output_format_json_quote_64bit_integers": 0, **(settings or {})}
        if self._fixed_settings:
            merged = {}
        try:
            raw = self._client.raw_query(sql, settings=merged, fmt="JSONCompact")
        except Exception as exc:
            # A user with readonly = 1 may change no setting: it is read-only already.
            if not merged or "Cannot modify" not in str(exc):
                raise
            self._fixed_settings = True
            raw = self._client.raw_query(sql, fmt="JSONCompact")
        return _parse(raw)

    def insert(self, table: str, lines: str) -> None:
        self._client.raw_insert(
            table,
            insert_block=lines.encode("utf-8"),
            settings={"date_time_input_format": "best_effort"},
            fmt="JSONEachRow",
        )

    def close(self) -> None:
        self._client.close()


class ChdbClient:
    """ClickHouse in this process, through chdb, on a directory."""

    def __init__(self, target: Target) -> None:
        try:
            import chdb
        except ImportError:
            raise StoreError("chdb: stores need chdb: pip install 'agentotel[chdb]'") from None
        assert target.path is not None
        self.target = target
        self._key = str(target.path.resolve())
        if target.path.exists() and not target.path.is_dir():
            raise StoreError(f"{target.display()}: {target.path} is a file, not a directory")
        with _chdb_lock:
            for key, other in list(_chdb_open.items()):
                if key != self._key:  # one directory at a time in a process
                    other.close()
                    del _chdb_open[key]
            conn: Any = _chdb_open.get(self._key)
            if conn is None:
                if _held_elsewhere(target.path / "status"):
                    raise StoreLocked(
                        f"{target.display()} is in use by another process "
                        "(chdb opens a directory in one process at a time)"
                    )
                try:
                    conn = chdb.connect(self._key)  # type: ignore[no-untyped-call]
                except Exception as exc:
                    if "EmbeddedServer" in str(exc) or "lock" in str(exc).lower():
                        raise StoreLocked(
                            f"{target.display()} is in use by another process "
                            "(chdb opens a directory in one process at a time)"
                        ) from None
                    raise error_for(exc, target) from None
                _chdb_open[self._key] = conn
        self._conn = conn

    def query(self, sql: str, settings: dict[str, Any] | None = None) -> Rows:
        merged = {"output_format_json_quote_64bit_integers": 0, **(settings or {})}
        clause = ", ".join(f"{k} = {literal(v)}" for k, v in merged.items())
        with _chdb_lock:
            result = self._conn.query(f"{sql}\nSETTINGS {clause}", "JSONCompact")
        return _parse(result.bytes())

    def insert(self, table: str, lines: str) -> None:
        sql = (f"INSERT INTO {table} SETTINGS date_time_input_format = 'best_effort' "
               f"FORMAT JSONEachRow\n{lines}")  # fmt: skip
        with _chdb_lock:
            self._conn.query(sql)

    def close(self) -> None:
        with _chdb_lock:
            held: Any = _chdb_open.get(self._key)
            if held is not None and held is self._conn:
                del _chdb_open[self._key]
                held.close()


def _held_elsewhere(status: Path) -> bool:
    """True when another engine holds the directory's lock (asked before chdb, which
    would print its own error to the terminal)."""
    try:
        import fcntl
    except ImportError:  # not Unix: chdb's own error is mapped instead
        return False
    try:
        fd = os.open(status, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def connect(target: Target, timeout_s: float = 10.0) -> Client:
    if target.kind == "chdb":
        return ChdbClient(target)
    return HTTPClient(target, timeout_s)
