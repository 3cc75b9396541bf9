"""Instrumentation for CrewAI: crews and flows, agents on tasks, tool calls and model requests."""

from __future__ import annotations

from typing import Any

from agentotel import _safety
from agentotel.instrumentation._base import AgentotelInstrumentor, Wrapper
from agentotel.instrumentation.crewai.package import _instruments
from agentotel.telemetry import TelemetryHandler

__all__ = ["CrewAIInstrumentor"]


class CrewAIInstrumentor(AgentotelInstrumentor):
    """Emits ``invoke_workflow``, ``invoke_agent``, ``execute_tool`` and ``chat`` spans for CrewAI.

    Usable alone, like any OpenTelemetry instrumentor::

        CrewAIInstrumentor().instrument(tracer_provider=tp, meter_provider=mp)

    It owns the model requests CrewAI's LLM classes make: each gets one ``chat`` span
    and the openai/anthropic instrumentors stand down for the SDK call beneath it.
    CrewAI's own anonymous telemetry is left as the user configured it (docs/crewai.md).
    """

    name = "crewai"
    module = "crewai"
    instruments = _instruments

    def patches(self, handler: TelemetryHandler) -> list[tuple[str, str, Wrapper]]:
        try:
            # Imported here: CrewAI is loaded by now.
            from agentotel.instrumentation.crewai.patch import patches

            result: list[tuple[str, str, Any]] = patches(handler)
        except Exception as exc:  # an unexpected CrewAI layout costs telemetry only
            _safety.report("crewai.patches", exc)
            return []
        return result
