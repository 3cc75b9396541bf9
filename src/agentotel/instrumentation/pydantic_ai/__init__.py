"""Instrumentation for pydantic-ai agents: runs, model requests and tool calls."""

from __future__ import annotations

from typing import Any

from agentotel import _safety
from agentotel.instrumentation._base import AgentotelInstrumentor, Wrapper
from agentotel.instrumentation.pydantic_ai.package import _instruments
from agentotel.telemetry import TelemetryHandler

__all__ = ["PydanticAIInstrumentor"]


class PydanticAIInstrumentor(AgentotelInstrumentor):
    """Emits ``invoke_agent``, ``chat`` and ``execute_tool`` spans for every pydantic-ai run.

    Usable alone, like any OpenTelemetry instrumentor::

        PydanticAIInstrumentor().instrument(tracer_provider=tp, meter_provider=mp)

    While active it stands in for pydantic-ai's own instrumentation, and the openai and
    anthropic instrumentors stand down inside its ``chat`` spans, so each model request
    is reported once.
    """

    name = "pydantic_ai"
    module = "pydantic_ai"
    instruments = _instruments

    def patches(self, handler: TelemetryHandler) -> list[tuple[str, str, Wrapper]]:
        try:
            # Imported here: the patch module needs pydantic-ai, which is loaded by now.
            from agentotel.instrumentation.pydantic_ai.patch import patches

            result: list[tuple[str, str, Any]] = patches(handler)
        except Exception as exc:  # an unexpected pydantic-ai layout costs telemetry only
            _safety.report("pydantic_ai.patches", exc)
            return []
        return result
