"""One bounded exit for everything agentotel exports.

Exporters flush at interpreter exit; against a hung, refusing or throttling
endpoint each of them would wait out its own timeout and retries. Instead, one
``atexit`` hook runs every registered shutdown in order (spans first, then
metrics) against a single deadline, ``AGENTOTEL_EXIT_TIMEOUT`` after exit
began (default 2 s), then prints a one-line summary to stderr if any span was
lost.
"""

from __future__ import annotations

import atexit
import itertools
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Final

from agentotel import _safety

EXIT_TIMEOUT_ENV: Final = "AGENTOTEL_EXIT_TIMEOUT"
LEGACY_EXIT_TIMEOUT_ENV: Final = "AGENTOTEL_BSP_EXIT_TIMEOUT"  # milliseconds
DEFAULT_EXIT_TIMEOUT: Final = 2.0
SPANS: Final = 0
METRICS: Final = 1

_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(ms|s)?\s*$", re.IGNORECASE)
_lock = threading.Lock()
_hooks: dict[int, tuple[int, Callable[[float], None]]] = {}
_ids = itertools.count()
_registered = False
_deadline: float | None = None
_finishers: list[Callable[[], None]] = []


def exit_timeout(env: Mapping[str, str] | None = None) -> float:
    """Seconds exit may add: ``AGENTOTEL_EXIT_TIMEOUT`` (``2``, ``2s``, ``500ms``; a bare
    number is seconds), else the older ``AGENTOTEL_BSP_EXIT_TIMEOUT`` (milliseconds), else 2."""
    env = os.environ if env is None else env
    raw = env.get(EXIT_TIMEOUT_ENV, "").strip()
    if raw:
        match = _DURATION.match(raw)
        if match:
            value = float(match.group(1))
            return value / 1000.0 if (match.group(2) or "s").lower() == "ms" else value
    legacy = env.get(LEGACY_EXIT_TIMEOUT_ENV, "").strip()
    if legacy:
        try:
            value = float(legacy)
        except ValueError:
            pass
        else:
            if value >= 0:
                return value / 1000.0
    return DEFAULT_EXIT_TIMEOUT


def exiting() -> bool:
    """True once the interpreter has begun to exit (its main thread is marked stopped).

    CPython stops the main thread's ``Thread`` object before it runs ``atexit``
    hooks, so this also holds inside other libraries' exit hooks (the SDK
    ``TracerProvider``'s, which shuts our processors down without a timeout).
    """
    return not threading.main_thread().is_alive()


def exit_deadline() -> float:
    """The ``time.monotonic()`` by which all exit work ends, fixed by the first caller."""
    global _deadline
    with _lock:
        if _deadline is None:
            _deadline = time.monotonic() + exit_timeout()
        return _deadline


def at_exit(callback: Callable[[float], None], order: int = SPANS) -> int:
    """Run ``callback(deadline)`` at exit, lower ``order`` first; returns a key for :func:`cancel`."""
    global _registered
    with _lock:
        key = next(_ids)
        _hooks[key] = (order, callback)
        if not _registered:
            _registered = True
            atexit.register(_run)
    return key


def cancel(key: int) -> None:
    """Forget a hook (its owner shut down on its own)."""
    with _lock:
        _hooks.pop(key, None)


def at_end(callback: Callable[[], None]) -> None:
    """Run ``callback()`` once the exit hooks are done (the drop summary)."""
    with _lock:
        if callback not in _finishers:
            _finishers.append(callback)


def _run() -> None:
    with _lock:
        hooks = sorted(_hooks.items(), key=lambda item: (item[1][0], item[0]))
        _hooks.clear()
        finishers = list(_finishers)
    deadline = exit_deadline()
    for _key, (_order, callback) in hooks:
        try:
            callback(deadline)
        except Exception as exc:
            _safety.report("export.exit", exc)
    for finish in finishers:
        try:
            finish()
        except Exception as exc:
            _safety.report("export.exit", exc)


__all__ = [
    "DEFAULT_EXIT_TIMEOUT",
    "EXIT_TIMEOUT_ENV",
    "at_end",
    "at_exit",
    "cancel",
    "exit_deadline",
    "exit_timeout",
    "exiting",
]
