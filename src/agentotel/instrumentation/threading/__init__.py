"""Context propagation into thread pools, so spans started in worker threads keep their parent.

``ThreadPoolExecutor.submit`` is patched to run the callable inside a copy of the
submitting thread's context (``contextvars.copy_context().run``). ``loop.run_in_executor``,
``asyncio.to_thread`` and ``ThreadPoolExecutor.map`` all go through ``submit``. Each
submission gets its own copy, so a reused worker thread never carries one task's context
into the next. asyncio tasks (``gather``, ``TaskGroup``) copy the context already.

Opt out with ``AGENTOTEL_PROPAGATE_CONTEXT=false`` or by naming ``threading`` in
``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``.
"""

from __future__ import annotations

import contextvars
import logging
import os
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import wrapt
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.utils import unwrap

__all__ = ["PROPAGATE_CONTEXT_ENV", "ThreadingInstrumentor"]

PROPAGATE_CONTEXT_ENV = "AGENTOTEL_PROPAGATE_CONTEXT"

_log = logging.getLogger("agentotel")
_OFF = {"false", "0", "no", "off"}


def _submit_in_context(
    wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    if not args:
        # submit(fn=...) is not a valid call; let the executor raise its own error.
        return wrapped(*args, **kwargs)
    ctx = contextvars.copy_context()
    return wrapped(ctx.run, *args, **kwargs)


def propagation_enabled(env: Any = None) -> bool:
    """False when ``AGENTOTEL_PROPAGATE_CONTEXT`` turns propagation off."""
    env = os.environ if env is None else env
    return str(env.get(PROPAGATE_CONTEXT_ENV, "")).strip().lower() not in _OFF


class ThreadingInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Runs every ``ThreadPoolExecutor`` submission in a copy of the submitter's context."""

    name = "threading"

    def __init__(self) -> None:
        super().__init__()
        if not hasattr(self, "_patched"):
            self._patched = False

    def instrumentation_dependencies(self) -> Collection[str]:
        return ()

    def _instrument(self, **kwargs: Any) -> None:
        if not propagation_enabled():
            _log.debug("agentotel: %s is off; not propagating context", PROPAGATE_CONTEXT_ENV)
            return
        wrapt.wrap_function_wrapper(ThreadPoolExecutor, "submit", _submit_in_context)
        self._patched = True

    def _uninstrument(self, **kwargs: Any) -> None:
        if self._patched:
            unwrap(ThreadPoolExecutor, "submit")
            self._patched = False
