"""Instrumentation for the ``anthropic`` SDK: Messages (create, stream, parse, count_tokens), beta too."""

from __future__ import annotations

from typing import Any

from agentotel.instrumentation._base import AgentotelInstrumentor, Wrapper
from agentotel.instrumentation.anthropic import native
from agentotel.instrumentation.anthropic.package import _instruments
from agentotel.instrumentation.anthropic.patch import patches
from agentotel.telemetry import TelemetryHandler

__all__ = ["AnthropicInstrumentor"]


class AnthropicInstrumentor(AgentotelInstrumentor):
    """Emits GenAI spans and metrics for every Messages call through an anthropic client.

    Usable alone, like any OpenTelemetry instrumentor::

        AnthropicInstrumentor().instrument(tracer_provider=tp, meter_provider=mp)

    ``native_spans`` (or ``AGENTOTEL_ANTHROPIC_NATIVE_SPANS``) says what becomes of the
    SDK's own call spans: ``"off"`` (default) folds them into agentotel's span, ``"keep"``
    keeps the SDK's span as the call's only span, reshaped to the GenAI conventions.
    """

    name = "anthropic"
    module = "anthropic"
    instruments = _instruments

    def _instrument(self, **kwargs: Any) -> None:
        self.native_spans = native.native_mode(kwargs.get("native_spans"))
        super()._instrument(**kwargs)

    def patches(self, handler: TelemetryHandler) -> list[tuple[str, str, Wrapper]]:
        mode = getattr(self, "native_spans", native.OFF)
        result: list[tuple[str, str, Any]] = patches(handler, mode)
        return result
