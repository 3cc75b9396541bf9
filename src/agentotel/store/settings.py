"""Where the store lives, whether it is on, and its retention limits, from the environment.

``AGENTOTEL_STORE``: a path, or ``off`` to disable the store, or ``on`` to enable
it at the default path even with an OTLP endpoint configured. Unset, the store
is on exactly when no OTLP traces endpoint is configured.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from pathlib import Path

STORE_ENV = "AGENTOTEL_STORE"
MAX_AGE_ENV = "AGENTOTEL_STORE_MAX_AGE"
MAX_SIZE_ENV = "AGENTOTEL_STORE_MAX_SIZE"
TIMEOUT_ENV = "AGENTOTEL_STORE_TIMEOUT"
QUEUE_SIZE_ENV = "AGENTOTEL_STORE_QUEUE_SIZE"
BATCH_SIZE_ENV = "AGENTOTEL_STORE_BATCH_SIZE"
BLOCK_ENV = "AGENTOTEL_STORE_BLOCK"
LOCK_WAIT_ENV = "AGENTOTEL_STORE_LOCK_WAIT"
SQL_TIMEOUT_ENV = "AGENTOTEL_SQL_TIMEOUT"
OTLP_ENDPOINT_ENVS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")

DEFAULT_DIR = ".agentotel"
DEFAULT_FILE = "traces.db"
DEFAULT_MAX_AGE_S = 14 * 86400.0
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
DEFAULT_TIMEOUT_S = 5.0
DEFAULT_QUEUE_SIZE = 8192
"""Spans the store's processor holds: about 23 MB of typical GenAI spans, 0.4-0.5 s of writing."""
DEFAULT_BATCH_SIZE = 1024
"""Spans per store transaction: past about a thousand, bigger batches write no faster."""
DEFAULT_BLOCK_S = 2.0
"""How long a span's end may wait for room when the store is slow (then spans drop)."""
DEFAULT_LOCK_WAIT_S = 60.0
"""How long a batch is retried while another process holds the store locked."""
DEFAULT_SQL_TIMEOUT_S = 10.0

OFF_WORDS = frozenset({"off", "0", "false", "no", "none", "disabled"})
ON_WORDS = frozenset({"on", "1", "true", "yes", "default"})

_UNITS_S = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "min": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
}
_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "k": 1024,
    "kb": 1024,
    "kib": 1024,
    "m": 1024**2,
    "mb": 1024**2,
    "mib": 1024**2,
    "g": 1024**3,
    "gb": 1024**3,
    "gib": 1024**3,
}
_NUMBER_UNIT = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([a-zµ]*)\s*$", re.IGNORECASE)


def parse_duration(text: str, default_unit: str = "s") -> float:
    """Seconds in ``"500ms"``, ``"2s"``, ``"1.5h"``, ``"7d"``; a bare number uses ``default_unit``."""
    match = _NUMBER_UNIT.match(text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (try 500ms, 30s, 1h, 7d)")
    number, unit = match.groups()
    factor = _UNITS_S.get((unit or default_unit).lower())
    if factor is None:
        raise ValueError(f"unknown duration unit in {text!r} (use ms, s, m, h, d or w)")
    seconds = float(number) * factor
    if not math.isfinite(seconds):
        raise ValueError(f"duration too long: {text[:40]!r}")
    return seconds


def parse_size(text: str) -> int:
    """Bytes in ``"512MB"``, ``"1g"``, ``"100000"`` (binary multiples)."""
    match = _NUMBER_UNIT.match(text)
    if not match:
        raise ValueError(f"not a size: {text!r} (try 512MB or 2GB)")
    number, unit = match.groups()
    factor = _SIZE_UNITS.get(unit.lower())
    if factor is None:
        raise ValueError(f"unknown size unit in {text!r} (use KB, MB or GB)")
    return int(float(number) * factor)


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def default_path(env: Mapping[str, str] | None = None, cwd: str | None = None) -> Path:
    """``AGENTOTEL_STORE`` when it names a path, else ``.agentotel/traces.db`` under ``cwd``."""
    raw = _env(env).get(STORE_ENV, "").strip()
    if raw and raw.lower() not in OFF_WORDS | ON_WORDS and not _clickhouse(raw):
        return Path(raw).expanduser()
    return Path(cwd if cwd is not None else os.getcwd()) / DEFAULT_DIR / DEFAULT_FILE


def default_location(env: Mapping[str, str] | None = None) -> str | Path:
    """Like :func:`default_path`, but a ClickHouse URL in ``AGENTOTEL_STORE`` is kept as text."""
    raw = _env(env).get(STORE_ENV, "").strip()
    return raw if _clickhouse(raw) else default_path(env)


def _clickhouse(raw: str) -> bool:
    return raw.lower().startswith(("clickhouse://", "chdb:"))


def store_enabled(env: Mapping[str, str] | None = None) -> bool:
    """True when spans should be recorded into the local store.

    An explicit ``AGENTOTEL_STORE`` decides (``off`` and friends disable it, anything
    else enables it); otherwise the store is on unless an OTLP endpoint is configured.
    A ClickHouse location is for reading: the Collector writes ClickHouse, so a
    program records nothing locally then.
    """
    env = _env(env)
    raw = env.get(STORE_ENV, "").strip()
    if _clickhouse(raw):
        return False
    if raw:
        return raw.lower() not in OFF_WORDS
    return not any(env.get(name, "").strip() for name in OTLP_ENDPOINT_ENVS)


def max_age_s(env: Mapping[str, str] | None = None) -> float | None:
    """Retention by age from ``AGENTOTEL_STORE_MAX_AGE`` (``off`` keeps everything)."""
    raw = _env(env).get(MAX_AGE_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_AGE_S
    if raw.lower() in OFF_WORDS:
        return None
    try:
        return parse_duration(raw, default_unit="d")
    except ValueError:
        return DEFAULT_MAX_AGE_S


def max_bytes(env: Mapping[str, str] | None = None) -> int | None:
    """Retention by size from ``AGENTOTEL_STORE_MAX_SIZE`` (``off`` sets no limit)."""
    raw = _env(env).get(MAX_SIZE_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_BYTES
    if raw.lower() in OFF_WORDS:
        return None
    try:
        return parse_size(raw)
    except ValueError:
        return DEFAULT_MAX_BYTES


def timeout_s(env: Mapping[str, str] | None = None) -> float:
    """How long to wait for another process's lock, from ``AGENTOTEL_STORE_TIMEOUT`` (5s)."""
    raw = _env(env).get(TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT_S
    try:
        return parse_duration(raw)
    except ValueError:
        return DEFAULT_TIMEOUT_S


def _seconds(env: Mapping[str, str] | None, name: str, default: float) -> float:
    raw = _env(env).get(name, "").strip()
    if not raw:
        return default
    if raw.lower() in OFF_WORDS:
        return 0.0
    try:
        return parse_duration(raw)
    except ValueError:
        return default


def _count(env: Mapping[str, str] | None, name: str, default: int) -> int:
    raw = _env(env).get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        return default
    return value if value > 0 else default


def queue_size(env: Mapping[str, str] | None = None) -> int:
    """Spans the store's span processor queues, from ``AGENTOTEL_STORE_QUEUE_SIZE`` (8192)."""
    return _count(env, QUEUE_SIZE_ENV, DEFAULT_QUEUE_SIZE)


def batch_size(env: Mapping[str, str] | None = None) -> int:
    """Spans per store write, from ``AGENTOTEL_STORE_BATCH_SIZE`` (1024), at most the queue size."""
    return min(_count(env, BATCH_SIZE_ENV, DEFAULT_BATCH_SIZE), queue_size(env))


def block_s(env: Mapping[str, str] | None = None) -> float:
    """How long a span's end waits for queue room, from ``AGENTOTEL_STORE_BLOCK`` (2s; off: 0)."""
    return _seconds(env, BLOCK_ENV, DEFAULT_BLOCK_S)


def lock_wait_s(env: Mapping[str, str] | None = None) -> float:
    """How long a batch is retried past another writer's lock, ``AGENTOTEL_STORE_LOCK_WAIT`` (60s)."""
    return _seconds(env, LOCK_WAIT_ENV, DEFAULT_LOCK_WAIT_S)


def sql_timeout_s(env: Mapping[str, str] | None = None) -> float | None:
    """The time limit of ``agentotel sql`` statements, ``AGENTOTEL_SQL_TIMEOUT`` (10s; off: none)."""
    value = _seconds(env, SQL_TIMEOUT_ENV, DEFAULT_SQL_TIMEOUT_S)
    return value or None
