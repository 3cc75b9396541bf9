"""MCP spans and duration metrics in the MCP semantic conventions. Imports no ``mcp`` module.

The patches (for mcp 2.x, which already decides where spans start, and for mcp 1.x,
which has none) describe an operation by method, target and request id; this module
names the span ``{mcp.method.name} {target}``, sets the attributes, carries
``error.type`` onto the ``mcp.{client,server}.operation.duration`` histograms and ends
everything exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import wrapt
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.metrics import Histogram, MeterProvider, get_meter
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, TracerProvider

from agentotel import _safety, semconv
from agentotel.instrumentation._owner import reported_tool_call
from agentotel.telemetry import error_type_of
from agentotel.version import __version__

SCOPE = "agentotel.mcp"

# Attributes that also go on the duration metrics (low cardinality only).
_METRIC_KEYS = (
    semconv.MCP_METHOD_NAME,
    semconv.GEN_AI_OPERATION_NAME,
    semconv.GEN_AI_TOOL_NAME,
    semconv.GEN_AI_PROMPT_NAME,
    semconv.MCP_PROTOCOL_VERSION,
)


def span_name(method: str, target: str | None) -> str:
    """``{mcp.method.name} {target}``; the target is a tool or prompt name, never a URI."""
    return f"{method} {target}" if target else method


class Operation:
    """One MCP request on one side: its span, its clock and its outcome."""

    __slots__ = ("_ended", "_histogram", "_start", "error_type", "metric_attributes", "span")

    def __init__(
        self, span: Span, histogram: Histogram | None, metric_attributes: dict[str, Any]
    ) -> None:
        self.span = span
        self._histogram = histogram
        self.metric_attributes = metric_attributes
        self.error_type: str | None = None
        self._start = time.perf_counter()
        self._ended = False

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
            span.set_status(Status(StatusCode.ERROR, description))

    def end(self, exc: BaseException | None = None, record_exception: bool = True) -> None:
        """End the span and record the duration; only the first call counts."""
        if self._ended:
            return
        self._ended = True
        try:
            if exc is not None and self.error_type is None:
                if record_exception and self.span.is_recording():
                    self.span.record_exception(exc)
                self.error(error_type_of(exc), str(exc) or None)
            self.span.end()
            if self._histogram is not None:
                attrs = self.metric_attributes
                if self.error_type is not None:
                    attrs[semconv.ERROR_TYPE] = self.error_type
                self._histogram.record(time.perf_counter() - self._start, attrs)
        except Exception as exc_:
            _safety.report("mcp.operation.end", exc_)


class _ObservedSpan(wrapt.ObjectProxy):  # type: ignore[misc,type-arg]
    """The span handed to mcp 2.x code: notes the ``error.type`` it sets, for the metric."""

    def __init__(self, span: Span, op: Operation) -> None:
        super().__init__(span)
        self._self_op = op

    def set_attribute(self, key: str, value: Any) -> None:
        if key == semconv.ERROR_TYPE and isinstance(value, str):
            self._self_op.error_type = value
        self.__wrapped__.set_attribute(key, value)

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        value = attributes.get(semconv.ERROR_TYPE)
        if isinstance(value, str):
            self._self_op.error_type = value
        self.__wrapped__.set_attributes(attributes)


class MCPTelemetry:
    """Starts MCP client and server operations on one tracer and meter."""

    def __init__(
        self,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
    ) -> None:
        self.tracer = trace.get_tracer(SCOPE, __version__, tracer_provider)
        meter = get_meter(SCOPE, __version__, meter_provider)
        buckets = list(semconv.MCP_DURATION_BUCKETS)
        self.client_duration = meter.create_histogram(
            semconv.MCP_CLIENT_OPERATION_DURATION,
            unit="s",
            description="Duration of an MCP request as seen by its sender.",
            explicit_bucket_boundaries_advisory=buckets,
        )
        self.server_duration = meter.create_histogram(
            semconv.MCP_SERVER_OPERATION_DURATION,
            unit="s",
            description="Duration of an MCP request as seen by its receiver.",
            explicit_bucket_boundaries_advisory=buckets,
        )

    def start(
        self,
        kind: SpanKind,
        method: str,
        target: str | None = None,
        *,
        request_id: Any = None,
        protocol_version: str | None = None,
        session_id: str | None = None,
        resource_uri: str | None = None,
        parent: Context | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> Operation:
        """Start a CLIENT (sender) or SERVER (receiver) operation for one request."""
        attrs: dict[str, Any] = dict(attributes) if attributes else {}
        attrs[semconv.MCP_METHOD_NAME] = method
        if method == semconv.MCP_METHOD_TOOLS_CALL:
            if kind is not SpanKind.CLIENT or not reported_tool_call(parent):
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
        span = self.tracer.start_span(
            span_name(method, target), context=parent, kind=kind, attributes=attrs
        )
        metric_attrs = {k: attrs[k] for k in _METRIC_KEYS if k in attrs}
        histogram = self.client_duration if kind is SpanKind.CLIENT else self.server_duration
        return Operation(span, histogram, metric_attrs)

    @contextmanager
    def active(
        self,
        op: Operation,
        record_exception: bool = True,
        set_status: bool = True,
        end: bool = True,
    ) -> Iterator[Any]:
        """Make ``op`` current for the block; end it on error, and on success unless ``end`` is off."""
        token: object | None = otel_context.attach(trace.set_span_in_context(op.span))
        try:
            yield _ObservedSpan(op.span, op)
        except BaseException as exc:
            otel_context.detach(token)  # type: ignore[arg-type]
            token = None
            if set_status:
                op.end(exc, record_exception)
            else:
                if record_exception and op.span.is_recording():
                    op.span.record_exception(exc)
                op.end()
            raise
        finally:
            if token is not None:
                otel_context.detach(token)  # type: ignore[arg-type]
        if end:
            op.end()


def inject(carrier: dict[str, Any]) -> None:
    """Write the current trace context (``traceparent``, ``tracestate``) into ``carrier``."""
    propagate.inject(carrier)


def extract(carrier: Mapping[str, Any] | None) -> Context | None:
    """The remote parent in ``carrier``, or ``None`` so that the span parents on the ambient context."""
    if not carrier:
        return None
    try:
        ctx = propagate.extract(carrier)
    except (TypeError, ValueError):
        return None
    if not trace.get_current_span(ctx).get_span_context().is_valid:
        return None
    return ctx
