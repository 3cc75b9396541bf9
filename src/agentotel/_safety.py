"""The never-break-the-host guard.

A bug in telemetry costs telemetry, never the user's call: internal errors are
caught, logged once per site, counted, and re-raised only in strict mode
(``AGENTOTEL_STRICT=1``, which agentotel's own test suite sets) so its tests fail
loudly. Applications' test suites are not strict: their calls never see our errors.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections import Counter

_log = logging.getLogger("agentotel")
_lock = threading.Lock()
_seen: set[str] = set()

#: How many internal errors each site has swallowed (readable from tests and tools).
error_counts: Counter[str] = Counter()


def strict() -> bool:
    """True when internal errors should propagate (agentotel's own test suite)."""
    flag = os.environ.get("AGENTOTEL_STRICT", "")
    return flag.strip().lower() in {"1", "true", "yes", "on"}


def report(site: str, exc: BaseException) -> None:
    """Record an internal telemetry error at ``site``; re-raise it only in strict mode.

    Call from an ``except Exception`` block: under strict mode the bare
    ``raise`` below re-raises the active exception with its traceback.
    """
    with _lock:
        error_counts[site] += 1
        first = site not in _seen
        _seen.add(site)
    if strict():
        raise exc
    if first:
        _log.warning(
            "agentotel: telemetry error at %s: %s: %s (the call itself is unaffected; "
            "further errors here are counted, not logged)",
            site,
            type(exc).__name__,
            exc,
            exc_info=exc if sys.flags.dev_mode or _log.isEnabledFor(logging.DEBUG) else None,
        )


def reset() -> None:
    """Forget which sites have logged (for tests)."""
    with _lock:
        _seen.clear()
        error_counts.clear()
