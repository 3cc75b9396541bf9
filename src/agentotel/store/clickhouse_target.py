"""Store locations that name ClickHouse: ``clickhouse://`` URLs and ``chdb:PATH``.

A location is parsed once into a :class:`Target`; :func:`display` gives the text to
show a user, with any password masked, wherever a store location is printed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_DATABASE = "otel"
DEFAULT_TABLE = "otel_traces"
USER_ENV = "CLICKHOUSE_USER"
PASSWORD_ENV = "CLICKHOUSE_PASSWORD"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Target:
    """Where a ClickHouse trace table lives: a server over HTTP, or a chdb directory."""

    kind: str  # "http" or "chdb"
    database: str = DEFAULT_DATABASE
    table: str = DEFAULT_TABLE
    host: str = "localhost"
    port: int = 8123
    secure: bool = False
    user: str | None = None
    password: str | None = None
    path: Path | None = None

    def __repr__(self) -> str:
        return f"Target({self.display()!r})"

    def display(self) -> str:
        """The location as a user wrote it, the password masked."""
        if self.kind == "chdb":
            return f"chdb:{self.path}"
        auth = ""
        if self.user:
            auth = self.user + (":***" if self.password else "") + "@"
        query = f"?table={self.table}" if self.table != DEFAULT_TABLE else ""
        if self.secure:
            query += ("&" if query else "?") + "secure=true"
        return f"clickhouse://{auth}{self.host}:{self.port}/{self.database}{query}"


def is_clickhouse(location: object) -> bool:
    """True when ``location`` is text naming a ClickHouse store rather than a file."""
    if not isinstance(location, str):
        return False
    low = location.strip().lower()
    return low.startswith("clickhouse://") or low.startswith("chdb:")


def display(location: object) -> str:
    """A store location fit to print: ClickHouse URLs with the password masked."""
    if is_clickhouse(location):
        try:
            return parse(str(location), env={}).display()
        except ValueError:
            return "clickhouse://(unparseable URL)"
    return str(location)


def _options(query: str) -> tuple[str | None, str | None, bool | None]:
    table = database = None
    secure: bool | None = None
    for key, values in parse_qs(query, keep_blank_values=True).items():
        value = values[-1]
        if key == "table":
            table = value
        elif key == "database":
            database = value
        elif key == "secure":
            if value.lower() in _TRUE:
                secure = True
            elif value.lower() in _FALSE:
                secure = False
            else:
                raise ValueError(f"secure={value!r} is not true or false")
        else:
            raise ValueError(f"unknown option {key!r} (use table, database or secure)")
    return table, database, secure


def _ident(what: str, value: str) -> str:
    if not _IDENT.match(value):
        raise ValueError(f"{what} {value!r} is not a plain ClickHouse identifier")
    return value


def parse(location: str, env: Mapping[str, str] | None = None) -> Target:
    """Parse ``clickhouse://[user[:password]@]host[:port][/database][?table=..&secure=..]``
    or ``chdb:PATH[?table=..&database=..]``; raises ValueError (never echoing a password).

    User and password missing from the URL come from ``CLICKHOUSE_USER`` and
    ``CLICKHOUSE_PASSWORD``.
    """
    env = os.environ if env is None else env
    text = location.strip()
    if text.lower().startswith("chdb:"):
        raw, _, query = text[5:].partition("?")
        if raw.startswith("//"):
            raw = raw[2:]
        if not raw:
            raise ValueError("chdb: needs a directory, as in chdb:./traces-ch")
        table, database, _secure = _options(query)
        return Target(
            kind="chdb",
            path=Path(raw).expanduser(),
            table=_ident("table", table or DEFAULT_TABLE),
            database=_ident("database", database or DEFAULT_DATABASE),
        )
    if not text.lower().startswith("clickhouse://"):
        raise ValueError("a ClickHouse store is clickhouse://HOST[:PORT][/DATABASE] or chdb:PATH")
    # Split by hand first: urlsplit would show the password in its own errors.
    rest = text[len("clickhouse://") :]
    netloc, _, tail = rest.partition("/")
    netloc, _, query_in_netloc = netloc.partition("?")
    auth, at, hostport = netloc.rpartition("@")
    if not at:
        auth, hostport = "", netloc
    user, colon, password = auth.partition(":")
    path, _, query = tail.partition("?")
    query = query or query_in_netloc
    try:
        parts = urlsplit("clickhouse://" + hostport)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        raise ValueError(f"bad host or port in clickhouse://...{hostport}") from None
    if not host:
        raise ValueError("clickhouse:// needs a host, as in clickhouse://localhost:8123")
    table, database, secure = _options(query)
    db = unquote(path.strip("/")) or database or DEFAULT_DATABASE
    if "/" in db:
        raise ValueError(f"database {db!r} has a '/': the URL path is one database name")
    return Target(
        kind="http",
        host=host,
        port=port or (8443 if secure else 8123),
        secure=bool(secure),
        database=_ident("database", db),
        table=_ident("table", table or DEFAULT_TABLE),
        user=unquote(user) if user else (env.get(USER_ENV) or None),
        password=unquote(password) if colon else (env.get(PASSWORD_ENV) or None),
    )
