"""Instrumentation for the ``google-genai`` SDK: Gemini API and Vertex AI, models and chats."""

from __future__ import annotations

from typing import Any

from agentotel.instrumentation._base import AgentotelInstrumentor, Wrapper
from agentotel.instrumentation.google_genai.package import _instruments
from agentotel.instrumentation.google_genai.patch import patches
from agentotel.telemetry import TelemetryHandler

__all__ = ["GoogleGenAIInstrumentor"]


class GoogleGenAIInstrumentor(AgentotelInstrumentor):
    """Emits GenAI spans and metrics for every model request through a google-genai client.

    One ``generate_content`` (or ``embeddings``) span per request, sync and async, streamed
    or not, and one ``execute_tool`` span per Python function the SDK calls for automatic
    function calling. Usable alone, like any OpenTelemetry instrumentor::

        GoogleGenAIInstrumentor().instrument(tracer_provider=tp, meter_provider=mp)
    """

    name = "google_genai"
    module = "google.genai"
    instruments = _instruments

    def patches(self, handler: TelemetryHandler) -> list[tuple[str, str, Wrapper]]:
        result: list[tuple[str, str, Any]] = patches(handler)
        return result
