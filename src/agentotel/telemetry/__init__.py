"""Emission: invocations, metrics and message content. Imports no instrumented library."""

from agentotel.telemetry.handler import TelemetryHandler
from agentotel.telemetry.invocation import (
    AgentInvocation,
    InferenceInvocation,
    Invocation,
    ToolInvocation,
    error_type_of,
)

__all__ = [
    "AgentInvocation",
    "InferenceInvocation",
    "Invocation",
    "TelemetryHandler",
    "ToolInvocation",
    "error_type_of",
]
