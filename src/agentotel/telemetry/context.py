"""The OpenTelemetry context on the hot path: read, attach and detach in one call each.

``opentelemetry.context.get_current()`` / ``attach()`` / ``detach()`` each go through
two Python functions to reach one ``ContextVar`` operation. With the default
runtime context (``contextvars``) these helpers perform that operation
directly; with any other runtime context configured (``OTEL_PYTHON_CONTEXT``)
they are the API's own functions. Either way the context seen by everything
else is the same one.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

from opentelemetry import context as _api
from opentelemetry.context import Context

_var: Any = getattr(_api._RUNTIME_CONTEXT, "_current_context", None)

current: Callable[[], Context]
attach: Callable[[Context], Any]
if type(_api._RUNTIME_CONTEXT).__name__ == "ContextVarsRuntimeContext" and isinstance(
    _var, ContextVar
):
    current = _var.get
    attach = _var.set

    def detach(token: Any) -> None:
        """Restore the context from before ``attach``; a foreign token is ignored."""
        try:
            _var.reset(token)
        except (ValueError, RuntimeError, TypeError):
            pass  # made in another context (a generator resumed elsewhere): nothing to undo

else:  # pragma: no cover - a custom runtime context
    current = _api.get_current
    attach = _api.attach

    def detach(token: Any) -> None:
        """Restore the context from before ``attach``; a foreign token is ignored."""
        try:
            _api._RUNTIME_CONTEXT.detach(token)
        except Exception:
            pass


__all__ = ["Token", "attach", "current", "detach"]
