"""Retention for a SQLite store: whole traces dropped by age, then by size, oldest first.

Runs on the writer every few batches. The roll-up hours that dropped traces had
spans in stop being trusted (``meta.rollup_from_hour``), so long-range stats
never count a span that is gone.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
import time
from typing import Any

from agentotel.store.sqlite_write import HOUR_NS


def retain(conn: sqlite3.Connection, max_age_s: float | None, max_bytes: int | None) -> None:
    """Drop whole traces older than ``max_age_s``, then oldest ones until under ``max_bytes``."""
    removed = 0
    if max_age_s is not None and max_age_s > 0:
        cutoff = time.time_ns() - int(max_age_s * 1e9)
        removed += _drop_traces(
            conn, "SELECT trace_id FROM traces WHERE end_ns < ? LIMIT 1000", (cutoff,)
        )
    if max_bytes is not None and max_bytes > 0:
        for _ in range(20):
            used = used_bytes(conn)
            if used <= max_bytes:
                break
            count = conn.execute("SELECT count(*) FROM traces").fetchone()[0]
            if not count:
                break
            # Drop the share of traces that should bring the file to 90% of the limit.
            share = 1.0 - 0.9 * max_bytes / used
            n = max(1, math.ceil(count * share))
            dropped = _drop_traces(
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


def _drop_traces(conn: sqlite3.Connection, select: str, params: tuple[Any, ...]) -> int:
    total = 0
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            ids = [row[0] for row in conn.execute(select, params)]
            if ids:
                _retire_rollup(conn, ids)
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


def _retire_rollup(conn: sqlite3.Connection, trace_ids: list[str]) -> None:
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


def used_bytes(conn: sqlite3.Connection) -> int:
    """Bytes the store's live pages take (the file may be larger until space is reclaimed)."""
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    return int((pages - free) * size)
