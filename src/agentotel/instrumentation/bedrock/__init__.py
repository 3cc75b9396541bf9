"""Instrumentation for Amazon Bedrock through boto3/botocore: the ``bedrock-runtime`` calls."""

from __future__ import annotations

from typing import Any

from agentotel.instrumentation._base import AgentotelInstrumentor, Wrapper
from agentotel.instrumentation.bedrock.package import _instruments
from agentotel.instrumentation.bedrock.patch import patches
from agentotel.telemetry import TelemetryHandler

__all__ = ["BedrockInstrumentor"]


class BedrockInstrumentor(AgentotelInstrumentor):
    """Emits GenAI spans and metrics for ``converse``, ``converse_stream``, ``invoke_model``
    and ``invoke_model_with_response_stream`` on any ``bedrock-runtime`` client.

    Usable alone, like any OpenTelemetry instrumentor::

        BedrockInstrumentor().instrument(tracer_provider=tp, meter_provider=mp)
    """

    name = "bedrock"
    module = "botocore.client"
    instruments = _instruments

    def patches(self, handler: TelemetryHandler) -> list[tuple[str, str, Wrapper]]:
        result: list[tuple[str, str, Any]] = patches(handler)
        return result
