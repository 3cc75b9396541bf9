"""Lost spans are never silent: one warning on the first loss, one summary line at exit.

Counting happens in the processor (exact, per reason). This module decides what
to say: the first time any processor in the process has lost a span it logs a
single warning with the count, the reason and the setting that would have
prevented it; later losses are only counted (``agentotel.current().stats()``).
At exit, if anything was lost, one line goes to stderr.
"""

from __future__ import annotations

import logging
import sys
import threading
import weakref
from collections.abc import Mapping
from typing import Any, Final, Protocol

from agentotel import semconv

_log = logging.getLogger("agentotel")

_HINTS: Final[Mapping[str, str]] = {
    semconv.DROP_QUEUE_FULL: "raise OTEL_BSP_MAX_QUEUE_SIZE (now {capacity}) or "
    "AGENTOTEL_BSP_MAX_QUEUE_BYTES if the destination keeps up only in bursts",
    semconv.DROP_ALREADY_SHUTDOWN: "end spans before shutdown() or interpreter exit",
    semconv.DROP_CIRCUIT_OPEN: "make {destination} reachable, or unset "
    "OTEL_EXPORTER_OTLP_ENDPOINT to record locally",
    semconv.DROP_TIMEOUT: "raise OTEL_EXPORTER_OTLP_TIMEOUT (or AGENTOTEL_EXIT_TIMEOUT at exit), "
    "or check {destination}",
    semconv.DROP_REJECTED: "the receiver rejected them; see its logs",
    "429": "the receiver at {destination} is throttling: raise its limits or sample "
    "(OTEL_TRACES_SAMPLER)",
    "ConnectionRefusedError": "start the receiver at {destination}, or unset "
    "OTEL_EXPORTER_OTLP_ENDPOINT to record locally",
}
_DEFAULT_HINT: Final = "check that {destination} is reachable and accepts spans"


class _Counted(Protocol):
    def drop_report(self) -> tuple[int, dict[str, int], int, str]: ...


_lock = threading.Lock()
_warned = False
_sources: weakref.WeakSet[Any] = weakref.WeakSet()


def track(source: _Counted) -> None:
    """Include ``source`` (a processor) in the exit summary."""
    _sources.add(source)


def warned() -> bool:
    return _warned


def hint(reason: str, capacity: int, destination: str) -> str:
    """The setting or action that would have prevented losses of ``reason``."""
    template = _HINTS.get(reason, _DEFAULT_HINT)
    return template.format(capacity=capacity, destination=destination)


def warn_once(lost: Mapping[str, int], capacity: int, destination: str) -> None:
    """Log the process's single drop warning, if it has not been logged yet."""
    global _warned
    if _warned or not lost:
        return
    with _lock:
        if _warned:
            return
        _warned = True
    reason = max(lost, key=lambda r: lost[r])
    total = sum(lost.values())
    _log.warning(
        "agentotel: %d span(s) not exported to %s (%s); to prevent it: %s. "
        "Further losses are counted, not logged: see agentotel.current().stats()",
        total,
        destination,
        ", ".join(f"{r}: {n}" for r, n in sorted(lost.items())),
        hint(reason, capacity, destination),
    )


def summary_line() -> str | None:
    """``agentotel: N of M spans lost (...)`` over every tracked processor, or None."""
    created = 0
    lost: dict[str, int] = {}
    worst: tuple[int, str, int, str] | None = None  # count, reason, capacity, destination
    for source in list(_sources):
        made, by_reason, capacity, destination = source.drop_report()
        created = max(created, made)
        for reason, n in by_reason.items():
            lost[reason] = lost.get(reason, 0) + n
            if worst is None or n > worst[0]:
                worst = (n, reason, capacity, destination)
    total = sum(lost.values())
    if not total or worst is None:
        return None
    reasons = ", ".join(f"{r} {n}" for r, n in sorted(lost.items()))
    return (
        f"agentotel: {total} span export(s) lost of {created} spans ended ({reasons}); "
        f"to prevent it: {hint(worst[1], worst[2], worst[3])}"
    )


def print_summary() -> None:
    line = summary_line()
    if line is not None:
        try:
            print(line, file=sys.stderr, flush=True)
        except (OSError, ValueError):  # stderr closed at exit
            pass


def reset() -> None:
    """Forget that the warning was logged (tests)."""
    global _warned
    with _lock:
        _warned = False


__all__ = ["hint", "print_summary", "reset", "summary_line", "track", "warn_once", "warned"]
