"""Trace context propagation into thread pools, so spans started in worker threads keep their parent.

``ThreadPoolExecutor.submit`` is patched to carry the submitter's OpenTelemetry context
(current span and baggage) to the worker: it is attached just before the callable runs and
detached just after, on the worker thread. Nothing else changes hands: every other context
variable (one set by the pool's ``initializer``, the ``decimal`` context, ...) stays as the
worker thread has it, exactly as without the patch. ``loop.run_in_executor`` and
``ThreadPoolExecutor.map`` go through ``submit``; ``asyncio.to_thread`` copies the whole
context itself, as asyncio always does. asyncio tasks (``gather``, ``TaskGroup``) copy the
context already.

Opt out with ``AGENTOTEL_PROPAGATE_CONTEXT=false`` or by naming ``threading`` in
``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import wrapt
from opentelemetry import context as otel_context
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.utils import unwrap

from agentotel import _safety

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
    ctx = otel_context.get_current()
    if not ctx:
        return wrapped(*args, **kwargs)  # no span or baggage to carry
    return wrapped(_run_attached, ctx, *args, **kwargs)


def _run_attached(ctx: otel_context.Context, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
    """Run ``fn`` on the worker with the submitter's OpenTelemetry context attached."""
    try:
        token = otel_context.attach(ctx)
    except Exception as exc:
        _safety.report("threading.attach", exc)
        return fn(*args, **kwargs)
    try:
        return fn(*args, **kwargs)
    finally:
        otel_context.detach(token)


def propagation_enabled(env: Any = None) -> bool:
    """False when ``AGENTOTEL_PROPAGATE_CONTEXT`` turns propagation off."""
    env = os.environ if env is None else env
    return str(env.get(PROPAGATE_CONTEXT_ENV, "")).strip().lower() not in _OFF


class ThreadingInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Carries the submitter's OpenTelemetry context into every ``ThreadPoolExecutor`` job."""

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
