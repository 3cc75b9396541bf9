"""MCP operations as invocations: the MCP conventions' spans and duration histograms.

An MCP request on one side (CLIENT: its sender, SERVER: its receiver) is named
``{mcp.method.name} {target}``, carries ``error.type`` onto the
``mcp.{client,server}.operation.duration`` histograms and ends exactly once, like every
other invocation. Started by :meth:`TelemetryHandler.mcp`; imports no ``mcp`` module.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.metrics import Histogram
from opentelemetry.trace import Status, StatusCode

from agentotel import _safety, semconv
from agentotel.telemetry import secrets
from agentotel.telemetry.invocation import Invocation, error_type_of

# Attributes that also go on the duration metrics (low cardinality only).
METRIC_KEYS = (
    semconv.MCP_METHOD_NAME,
    semconv.GEN_AI_OPERATION_NAME,
    semconv.GEN_AI_TOOL_NAME,
    semconv.GEN_AI_PROMPT_NAME,
    semconv.MCP_PROTOCOL_VERSION,
)


def span_name(method: str, target: str | None) -> str:
    """``{mcp.method.name} {target}``; the target is a tool or prompt name, never a URI."""
    return f"{method} {target}" if target else method


def start_attributes(
    method: str,
    target: str | None,
    request_id: Any,
    protocol_version: str | None,
    session_id: str | None,
    resource_uri: str | None,
    attributes: Any,
    tool_operation: bool = True,
) -> dict[str, Any]:
    """The span's attributes known when the request starts.

    ``tool_operation`` False leaves ``gen_ai.operation.name`` off a ``tools/call`` span
    whose tool call a framework's ``execute_tool`` span already reports (counted once).
    """
    attrs: dict[str, Any] = dict(attributes) if attributes else {}
    attrs[semconv.MCP_METHOD_NAME] = method
    if method == semconv.MCP_METHOD_TOOLS_CALL:
        if tool_operation:
            attrs[semconv.GEN_AI_OPERATION_NAME] = semconv.OP_EXECUTE_TOOL
        if target:
            attrs[semconv.GEN_AI_TOOL_NAME] = target
    elif method == semconv.MCP_METHOD_PROMPTS_GET and target:
        attrs[semconv.GEN_AI_PROMPT_NAME] = target
    if request_id is not None:
        attrs[semconv.JSONRPC_REQUEST_ID] = str(request_id)
    if protocol_version:
        attrs[semconv.MCP_PROTOCOL_VERSION] = protocol_version
    if session_id:
        attrs[semconv.MCP_SESSION_ID] = session_id
    if resource_uri:
        attrs[semconv.MCP_RESOURCE_URI] = resource_uri
    return attrs


class McpOperation(Invocation):
    """One MCP request on one side: its span, its clock, its outcome and its histogram."""

    __slots__ = ("_histogram",)

    def __init__(self, *args: Any, histogram: Histogram | None = None) -> None:
        super().__init__(*args)
        self._histogram = histogram

    def error(
        self, error_type: str, description: str | None = None, status_code: str | None = None
    ) -> None:
        """Mark the operation failed (``error.type``, ERROR status), e.g. for a JSON-RPC error."""
        self.error_type = error_type
        span = self.span
        if span.is_recording():
            attrs: dict[str, Any] = {semconv.ERROR_TYPE: error_type}
            if status_code is not None:
                attrs[semconv.RPC_RESPONSE_STATUS_CODE] = status_code
            span.set_attributes(attrs)
            span.set_status(
                Status(StatusCode.ERROR, secrets.scrub(description) if description else None)
            )

    def end(self, exc: BaseException | None = None, record_exception: bool = True) -> None:
        """End the span and record the duration; only the first call counts."""
        if self._ended:
            return
        if exc is not None and self.error_type is None:
            try:
                if record_exception and self.span.is_recording():
                    self.span.record_exception(exc, secrets.exception_attributes(exc))
                self.error(error_type_of(exc), str(exc) or None)
            except Exception as fault:
                _safety.report("mcp.operation.end", fault)
        self.stop()

    def _record_metrics(self, duration: float) -> None:
        if self._histogram is not None:
            self._histogram.record(duration, self.metric_attributes)
