"""Instrumentation for the ``openai`` SDK: chat completions, responses, embeddings, completions."""

from __future__ import annotations

from typing import Any

from agentotel.instrumentation._base import AgentotelInstrumentor, Wrapper
from agentotel.instrumentation.openai.package import _instruments
from agentotel.instrumentation.openai.patch import patches
from agentotel.telemetry import TelemetryHandler

__all__ = ["OpenAIInstrumentor"]


class OpenAIInstrumentor(AgentotelInstrumentor):
    """Emits GenAI spans and metrics for every call through the openai client.

    Usable alone, like any OpenTelemetry instrumentor::

        OpenAIInstrumentor().instrument(tracer_provider=tp, meter_provider=mp)
    """

    name = "openai"
    module = "openai"
    instruments = _instruments

    def patches(self, handler: TelemetryHandler) -> list[tuple[str, str, Wrapper]]:
        result: list[tuple[str, str, Any]] = patches(handler)
        return result
