"""The emission layer every instrumentor shares: it hands out invocation objects.

Patching code never builds spans itself. It asks the handler for an
invocation (``inference``, ``embeddings``, ``tool``, ``agent``, ``workflow``),
fills fields from the library's request and response, and calls ``stop()`` or
``fail()``. The handler decides names, kinds, attributes, content and metrics.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry._logs import LoggerProvider
from opentelemetry.context import Context
from opentelemetry.metrics import MeterProvider, get_meter
from opentelemetry.trace import Span, SpanKind, TracerProvider

from agentotel import _config, semconv
from agentotel.telemetry import mcp
from agentotel.telemetry.cost import with_cost
from agentotel.telemetry.emitter import TOOL_CALLS, ContentRecorder, Emitter
from agentotel.telemetry.invocation import (
    AgentInvocation,
    InferenceInvocation,
    Invocation,
    ToolInvocation,
)
from agentotel.telemetry.mcp import McpOperation
from agentotel.telemetry.metrics import Instruments, MetricsRecorder, recorder
from agentotel.telemetry.wrap import owned
from agentotel.version import __version__

SCOPE = "agentotel"


class TelemetryHandler:
    """Creates invocations on one tracer and meter, under one set of settings."""

    def __init__(
        self,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
        logger_provider: LoggerProvider | None = None,
        settings: _config.Settings | None = None,
        scope: str = SCOPE,
    ) -> None:
        self.settings = settings if settings is not None else _config.from_env()
        self.names = self.settings.names
        # A FastTracerProvider (the pipeline agentotel builds) hands out its fast tracer here.
        self.tracer = trace.get_tracer(scope, __version__, tracer_provider)
        self.content_enabled = self.settings.content.enabled
        self.metrics: MetricsRecorder = MetricsRecorder()
        if self.settings.metrics:
            # A FastMeterProvider's meter (the pipeline agentotel builds) records whole
            # series at once (see fastmetrics); any other meter is the SDK's.
            meter: Any = get_meter(scope, __version__, meter_provider)
            self.metrics = recorder(meter, callable(getattr(meter, "series", None)), self.names)
            self.metrics = with_cost(self.metrics, meter_provider, scope)
        self.instruments: Instruments | None = self.metrics.instruments
        self.content = ContentRecorder(self.settings, logger_provider, scope)
        self.emitter = Emitter(self.tracer, self.metrics, self.content, TOOL_CALLS)
        self._scope = scope
        self._meter_provider = meter_provider
        self._mcp_histograms: tuple[Any, Any] | None = None

    # -- starting invocations ------------------------------------------------
    def inference(
        self,
        provider: str,
        request_model: str | None,
        operation: str = semconv.OP_CHAT,
        server_address: str | None = None,
        server_port: int | None = None,
        attributes: Mapping[str, Any] | None = None,
        kind: SpanKind = SpanKind.CLIENT,
        context: Context | None = None,
        span: Span | None = None,
    ) -> InferenceInvocation:
        """Start a model call. ``attributes`` are request attributes known up front;
        ``context`` is the parent context when the caller already holds the current one.

        With ``span``, adopt a span someone else started (a library's own span for the
        call): it is renamed and given the same attributes, and the invocation ends it.
        """
        metric_attrs: dict[str, Any] = {
            semconv.GEN_AI_OPERATION_NAME: operation,
            semconv.GEN_AI_PROVIDER_NAME: provider,
        }
        if request_model:
            metric_attrs[semconv.GEN_AI_REQUEST_MODEL] = request_model
        if server_address:
            metric_attrs[semconv.SERVER_ADDRESS] = server_address
            if server_port:
                metric_attrs[semconv.SERVER_PORT] = server_port
        start_attrs = metric_attrs.copy()
        if attributes:
            start_attrs.update(attributes)
            if None in attributes.values():
                start_attrs = {k: v for k, v in start_attrs.items() if v is not None}
        name = f"{operation} {request_model}" if request_model else operation
        if span is None:
            span = self.tracer.start_span(name, context, kind, start_attrs)
        else:
            span.update_name(name)
            span.set_attributes(start_attrs)
        return owned(InferenceInvocation, self.emitter, operation, span, metric_attrs)

    def embeddings(
        self,
        provider: str,
        request_model: str | None,
        server_address: str | None = None,
        server_port: int | None = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> InferenceInvocation:
        return self.inference(
            provider,
            request_model,
            semconv.OP_EMBEDDINGS,
            server_address,
            server_port,
            attributes,
        )

    def tool(
        self,
        name: str,
        call_id: str | None = None,
        description: str | None = None,
        tool_type: str | None = semconv.TOOL_TYPE_FUNCTION,
        attributes: Mapping[str, Any] | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
    ) -> ToolInvocation:
        """Start a tool execution; linked to the model call that asked for ``call_id`` if known."""
        metric_attrs: dict[str, Any] = {
            semconv.GEN_AI_OPERATION_NAME: semconv.OP_EXECUTE_TOOL,
            semconv.GEN_AI_TOOL_NAME: name,
        }
        start_attrs = dict(metric_attrs)
        if call_id:
            start_attrs[semconv.GEN_AI_TOOL_CALL_ID] = call_id
        if description:
            start_attrs[semconv.GEN_AI_TOOL_DESCRIPTION] = description
        if tool_type:
            start_attrs[semconv.GEN_AI_TOOL_TYPE] = tool_type
        if attributes:
            start_attrs.update({k: v for k, v in attributes.items() if v is not None})
        links = self.emitter.tool_calls.links_for(call_id)
        span = self.tracer.start_span(
            f"{semconv.OP_EXECUTE_TOOL} {name}", kind=kind, attributes=start_attrs, links=links
        )
        return owned(ToolInvocation, self.emitter, semconv.OP_EXECUTE_TOOL, span, metric_attrs)

    def agent(
        self,
        name: str | None,
        agent_id: str | None = None,
        description: str | None = None,
        version: str | None = None,
        provider: str | None = None,
        request_model: str | None = None,
        conversation_id: str | None = None,
        attributes: Mapping[str, Any] | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
    ) -> AgentInvocation:
        """Start an agent run (``invoke_agent {name}``)."""
        metric_attrs: dict[str, Any] = {semconv.GEN_AI_OPERATION_NAME: semconv.OP_INVOKE_AGENT}
        if provider:
            metric_attrs[semconv.GEN_AI_PROVIDER_NAME] = provider
        if request_model:
            metric_attrs[semconv.GEN_AI_REQUEST_MODEL] = request_model
        start_attrs = dict(metric_attrs)
        for key, value in (
            (semconv.GEN_AI_AGENT_NAME, name),
            (semconv.GEN_AI_AGENT_ID, agent_id),
            (semconv.GEN_AI_AGENT_DESCRIPTION, description),
            (semconv.GEN_AI_AGENT_VERSION, version),
            (semconv.GEN_AI_CONVERSATION_ID, conversation_id),
        ):
            if value:
                start_attrs[key] = value
        if attributes:
            start_attrs.update({k: v for k, v in attributes.items() if v is not None})
        span_name = f"{semconv.OP_INVOKE_AGENT} {name}" if name else semconv.OP_INVOKE_AGENT
        span = self.tracer.start_span(span_name, kind=kind, attributes=start_attrs)
        return owned(AgentInvocation, self.emitter, semconv.OP_INVOKE_AGENT, span, metric_attrs)

    def workflow(
        self,
        name: str | None,
        attributes: Mapping[str, Any] | None = None,
    ) -> AgentInvocation:
        """Start a workflow (``invoke_workflow {name}``): orchestration of several agents or steps."""
        metric_attrs: dict[str, Any] = {semconv.GEN_AI_OPERATION_NAME: semconv.OP_INVOKE_WORKFLOW}
        start_attrs = dict(metric_attrs)
        if name:
            start_attrs[semconv.GEN_AI_WORKFLOW_NAME] = name
        if attributes:
            start_attrs.update({k: v for k, v in attributes.items() if v is not None})
        span_name = f"{semconv.OP_INVOKE_WORKFLOW} {name}" if name else semconv.OP_INVOKE_WORKFLOW
        span = self.tracer.start_span(span_name, kind=SpanKind.INTERNAL, attributes=start_attrs)
        return owned(AgentInvocation, self.emitter, semconv.OP_INVOKE_WORKFLOW, span, metric_attrs)

    def mcp(
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
        tool_operation: bool = True,
    ) -> McpOperation:
        """Start an MCP request: CLIENT on the side that sends it, SERVER on the side that answers."""
        attrs = mcp.start_attributes(
            method,
            target,
            request_id,
            protocol_version,
            session_id,
            resource_uri,
            attributes,
            tool_operation,
        )
        span = self.tracer.start_span(
            mcp.span_name(method, target), context=parent, kind=kind, attributes=attrs
        )
        metric_attrs = {k: attrs[k] for k in mcp.METRIC_KEYS if k in attrs}
        try:
            histogram = self._mcp_histogram(kind)
            return McpOperation(self.emitter, method, span, metric_attrs, histogram=histogram)
        except BaseException:
            span.end()
            raise

    def _mcp_histogram(self, kind: SpanKind) -> Any:
        histograms = self._mcp_histograms
        if histograms is None:
            meter = get_meter(self._scope, __version__, self._meter_provider)
            buckets = list(semconv.MCP_DURATION_BUCKETS)
            histograms = self._mcp_histograms = (
                meter.create_histogram(
                    semconv.MCP_CLIENT_OPERATION_DURATION,
                    unit="s",
                    description="Duration of an MCP request as seen by its sender.",
                    explicit_bucket_boundaries_advisory=buckets,
                ),
                meter.create_histogram(
                    semconv.MCP_SERVER_OPERATION_DURATION,
                    unit="s",
                    description="Duration of an MCP request as seen by its receiver.",
                    explicit_bucket_boundaries_advisory=buckets,
                ),
            )
        return histograms[0] if kind is SpanKind.CLIENT else histograms[1]

    def step(self, name: str, attributes: Mapping[str, Any] | None = None) -> Invocation:
        """Start an orchestration step: an INTERNAL span outside the GenAI operations."""
        start_attrs: dict[str, Any] = {semconv.AGENTOTEL_STEP_NAME: name}
        if attributes:
            start_attrs.update({k: v for k, v in attributes.items() if v is not None})
        span = self.tracer.start_span(name, kind=SpanKind.INTERNAL, attributes=start_attrs)
        return owned(_StepInvocation, self.emitter, "step", span, {})


class _StepInvocation(Invocation):
    __slots__ = ()

    def _record_metrics(self, duration: float) -> None:
        return None
