"""Instrumentation for LiteLLM: ``completion``, ``acompletion``, ``embedding``, ``aembedding``
and the ``Router`` (which calls them)."""

from __future__ import annotations

from typing import Any

from agentotel.instrumentation._base import AgentotelInstrumentor, Wrapper
from agentotel.instrumentation.litellm.package import _instruments
from agentotel.instrumentation.litellm.patch import patches
from agentotel.telemetry import TelemetryHandler

__all__ = ["LiteLLMInstrumentor"]


class LiteLLMInstrumentor(AgentotelInstrumentor):
    """Emits one GenAI span per LiteLLM model call, named for the provider that served it.

    Usable alone, like any OpenTelemetry instrumentor::

        LiteLLMInstrumentor().instrument(tracer_provider=tp, meter_provider=mp)
    """

    name = "litellm"
    module = "litellm"
    instruments = _instruments

    def patches(self, handler: TelemetryHandler) -> list[tuple[str, str, Wrapper]]:
        result: list[tuple[str, str, Any]] = patches(handler)
        return result
