"""Wrappers around pydantic-ai. They build no spans: the capability and the handler do.

Two kinds of patch:

* ``Agent.iter``, which every run goes through (``run``, ``run_sync``, ``run_stream``,
  ``run_stream_events`` and ``iter`` itself), gets agentotel's capability added to the
  run's capabilities;
* the hooks of pydantic-ai's own ``Instrumentation`` capability pass straight through to
  the run while agentotel instruments pydantic-ai, so an agent with ``instrument=...``,
  ``Agent.instrument_all()``, an ``InstrumentedModel`` or an explicit ``Instrumentation``
  capability reports each run once, in agentotel's shape and under its content policy.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from agentotel.telemetry import TelemetryHandler

_AGENT = "pydantic_ai.agent"
_NATIVE = "pydantic_ai.capabilities.instrumentation"
_HOOK_PREFIXES = ("wrap_", "on_", "before_", "after_")


def _iter_wrapper(handler: TelemetryHandler) -> Callable[..., Any]:
    from agentotel.instrumentation.pydantic_ai.capability import AgentotelCapability

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        extra = kwargs.get("capabilities")
        if not any(isinstance(c, AgentotelCapability) for c in extra or ()):
            kwargs = {**kwargs, "capabilities": [*(extra or ()), AgentotelCapability(handler)]}
        return wrapped(*args, **kwargs)

    return wrapper


def _pass_through(base: Callable[..., Any]) -> Callable[..., Any]:
    """Replace a native instrumentation hook with the do-nothing hook of ``AbstractCapability``."""

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return base(instance, *args, **kwargs)

    return wrapper


def _native_hooks() -> list[tuple[str, Callable[..., Any]]]:
    """(name, base hook) for every span-making hook pydantic-ai's ``Instrumentation`` overrides."""
    from pydantic_ai.capabilities import AbstractCapability
    from pydantic_ai.capabilities.instrumentation import Instrumentation

    hooks = []
    for name, value in vars(Instrumentation).items():
        base = getattr(AbstractCapability, name, None)
        if (
            name.startswith(_HOOK_PREFIXES)
            and inspect.iscoroutinefunction(value)
            and inspect.iscoroutinefunction(base)
            and base is not None
        ):
            hooks.append((name, base))
    return hooks


def patches(handler: TelemetryHandler) -> list[tuple[str, str, Callable[..., Any]]]:
    """(module, "Class.method", wrapper) for every method this instrumentor patches."""
    out: list[tuple[str, str, Callable[..., Any]]] = [
        (_AGENT, "Agent.iter", _iter_wrapper(handler))
    ]
    out += [
        (_NATIVE, f"Instrumentation.{name}", _pass_through(base)) for name, base in _native_hooks()
    ]
    return out
