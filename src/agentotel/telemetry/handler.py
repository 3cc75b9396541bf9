"""The emission layer every instrumentor shares: it hands out invocation objects.

Patching code never builds spans itself. It asks the handler for an
invocation (``inference``, ``embeddings``, ``tool``, ``agent``, ``workflow``),
fills fields from the library's request and response, and calls ``stop()`` or
``fail()``. The handler decides names, kinds, attributes, content and metrics.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry._logs import LoggerProvider, get_logger
from opentelemetry.context import Context
from opentelemetry.metrics import MeterProvider, get_meter
from opentelemetry.trace import Link, Span, SpanContext, SpanKind, TracerProvider

from agentotel import _config, _safety, semconv
from agentotel.telemetry import content as content_mod
from agentotel.telemetry.invocation import (
    AgentInvocation,
    InferenceInvocation,
    Invocation,
    ToolInvocation,
)
from agentotel.telemetry.metrics import Instruments
from agentotel.version import __version__

if TYPE_CHECKING:
    from agentotel.telemetry.fastmetrics import Series

SCOPE = "agentotel"
_TOKEN_TYPE = semconv.GEN_AI_TOKEN_TYPE
_TOOL_CALL_MEMORY = 2048

# Tool calls requested by model calls, shared by every handler: the chat span
# may come from an instrumentor and the tool span from a decorator.
_TOOL_CALLS: OrderedDict[str, SpanContext] = OrderedDict()
_TOOL_CALLS_LOCK = threading.Lock()


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
        self.instruments: Instruments | None = None
        # agentotel's own histograms (an owned meter provider): model calls record into a
        # series per attribute set, found by one key.
        self._fast_metrics = False
        self._fast_meter: Any = None
        self._series: dict[tuple[Any, ...], Series] = {}
        if self.settings.metrics:
            meter: Any = get_meter(scope, __version__, meter_provider)
            self.instruments = Instruments(meter, self.names)
            # A FastMeterProvider's meter records whole series at once (see fastmetrics).
            fast = meter if callable(getattr(meter, "series", None)) else None
            self._fast_metrics = fast is not None
            self._fast_meter = fast
        self._logger_provider = logger_provider
        self._event_logger: Any = None
        self._scope = scope
        self._tool_calls = _TOOL_CALLS
        self._tool_calls_lock = _TOOL_CALLS_LOCK

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
    ) -> InferenceInvocation:
        """Start a model call. ``attributes`` are request attributes known up front;
        ``context`` is the parent context when the caller already holds the current one."""
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
        span = self.tracer.start_span(name, context, kind, start_attrs)
        return InferenceInvocation(self, operation, span, metric_attrs)

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
        links = None
        if call_id:
            requested = self._tool_calls.get(call_id)
            if requested is not None and requested.trace_id == _current_trace_id():
                links = [Link(requested)]
        span = self.tracer.start_span(
            f"{semconv.OP_EXECUTE_TOOL} {name}", kind=kind, attributes=start_attrs, links=links
        )
        return ToolInvocation(self, semconv.OP_EXECUTE_TOOL, span, metric_attrs)

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
        return AgentInvocation(self, semconv.OP_INVOKE_AGENT, span, metric_attrs)

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
        return AgentInvocation(self, semconv.OP_INVOKE_WORKFLOW, span, metric_attrs)

    def step(self, name: str, attributes: Mapping[str, Any] | None = None) -> Invocation:
        """Start an orchestration step: an INTERNAL span outside the GenAI operations."""
        start_attrs: dict[str, Any] = {semconv.AGENTOTEL_STEP_NAME: name}
        if attributes:
            start_attrs.update({k: v for k, v in attributes.items() if v is not None})
        span = self.tracer.start_span(name, kind=SpanKind.INTERNAL, attributes=start_attrs)
        return _StepInvocation(self, "step", span, {})

    # -- used by invocations -------------------------------------------------
    def _record_duration(self, operation: str, duration: float, attrs: dict[str, Any]) -> None:
        instruments = self.instruments
        if instruments is None:
            return
        # The released conventions define a client duration for model calls only; agent,
        # tool and workflow durations exist under the experimental names alone.
        if operation == semconv.OP_INVOKE_AGENT:
            if instruments.agent_duration is not None:
                instruments.agent_duration.record(duration, attrs)
        elif operation == semconv.OP_EXECUTE_TOOL:
            if instruments.tool_duration is not None:
                instruments.tool_duration.record(duration, attrs)
        elif operation == semconv.OP_INVOKE_WORKFLOW:
            if instruments.workflow_duration is not None:
                instruments.workflow_duration.record(duration, attrs)
        else:
            instruments.duration.record(duration, attrs)

    def _inference_series(self, key: tuple[Any, ...], attrs: dict[str, Any]) -> Series:
        """The series for a model call's metric attributes: duration, input and output
        tokens, time to first chunk, time per chunk (in that order)."""
        instruments: Any = self.instruments
        if instruments.token_usage is not None:
            inputs: Any = (
                instruments.token_usage,
                {**attrs, _TOKEN_TYPE: semconv.TOKEN_TYPE_INPUT},
            )
            outputs: Any = (
                instruments.token_usage,
                {**attrs, _TOKEN_TYPE: semconv.TOKEN_TYPE_OUTPUT},
            )
        else:
            inputs, outputs = (instruments.input_tokens, attrs), (instruments.output_tokens, attrs)
        series: Series = self._fast_meter.series(
            (
                (instruments.duration, attrs),
                inputs,
                outputs,
                (instruments.time_to_first_chunk, attrs),
                (instruments.time_per_output_chunk, attrs),
            )
        )
        if len(self._series) >= 4096:
            self._series.clear()
        self._series[key] = series
        return series

    def _record_tokens(
        self, attrs: dict[str, Any], input_tokens: int | None, output_tokens: int | None
    ) -> None:
        instruments = self.instruments
        if instruments is None or (input_tokens is None and output_tokens is None):
            return
        if instruments.token_usage is not None:
            if input_tokens is not None:
                instruments.token_usage.record(
                    input_tokens, {**attrs, semconv.GEN_AI_TOKEN_TYPE: semconv.TOKEN_TYPE_INPUT}
                )
            if output_tokens is not None:
                instruments.token_usage.record(
                    output_tokens, {**attrs, semconv.GEN_AI_TOKEN_TYPE: semconv.TOKEN_TYPE_OUTPUT}
                )
            return
        if input_tokens is not None and instruments.input_tokens is not None:
            instruments.input_tokens.record(input_tokens, attrs)
        if output_tokens is not None and instruments.output_tokens is not None:
            instruments.output_tokens.record(output_tokens, attrs)

    def _serialize(self, name: str, value: Any, as_json: bool) -> tuple[str | None, bool]:
        """Content as recorded, or ``None``; a failing redactor costs only this attribute."""
        settings = self.settings
        try:
            return content_mod.serialize(
                name, value, settings.max_content_length, settings.redact, as_json
            )
        except Exception as exc:
            _safety.report(f"content.{name}", exc)
            return None, False

    def _content_attr(
        self, attrs: dict[str, Any], name: str, value: Any, as_json: bool = True
    ) -> str | None:
        text, truncated = self._serialize(name, value, as_json)
        if text is not None:
            attrs[name] = text
            if truncated:
                attrs[semconv.AGENTOTEL_CONTENT_TRUNCATED] = True
        return text

    def _content(self, inv: InferenceInvocation | AgentInvocation, attrs: dict[str, Any]) -> None:
        """Put the conversation on the span and/or in an event, as the content mode says."""
        mode = self.settings.content
        fields = (
            (semconv.GEN_AI_INPUT_MESSAGES, inv.input_messages),
            (semconv.GEN_AI_OUTPUT_MESSAGES, inv.output_messages),
            (semconv.GEN_AI_SYSTEM_INSTRUCTIONS, inv.system_instructions),
            (semconv.GEN_AI_TOOL_DEFINITIONS, inv.tool_definitions),
        )
        event_attrs: dict[str, Any] | None = {} if mode.on_event else None
        for name, value in fields:
            if value is None:
                continue
            if mode.on_span:
                text = self._content_attr(attrs, name, value)
            else:
                text, _ = self._serialize(name, value, True)
            if event_attrs is not None and text is not None:
                # Always a JSON document (serialize guarantees it), structured on the event.
                event_attrs[name] = json.loads(text)
        if event_attrs is not None and isinstance(inv, InferenceInvocation):
            self._emit_details(inv, attrs, event_attrs)

    def _emit_details(
        self, inv: InferenceInvocation, attrs: dict[str, Any], event_attrs: dict[str, Any]
    ) -> None:
        logger = self._event_logger
        if logger is None:
            logger = self._event_logger = get_logger(
                self._scope, __version__, logger_provider=self._logger_provider
            )
        base = dict(inv.metric_attributes)
        for key, value in attrs.items():
            if key not in (
                semconv.GEN_AI_INPUT_MESSAGES,
                semconv.GEN_AI_OUTPUT_MESSAGES,
                semconv.GEN_AI_SYSTEM_INSTRUCTIONS,
                semconv.GEN_AI_TOOL_DEFINITIONS,
            ):
                base[key] = value
        base.update(event_attrs)
        logger.emit(
            event_name=semconv.EVENT_INFERENCE_DETAILS,
            attributes=base,
            context=trace.set_span_in_context(inv.span),
        )

    def _remember_tool_calls(self, call_ids: list[str], span: Span) -> None:
        ctx = span.get_span_context()
        with self._tool_calls_lock:
            calls = self._tool_calls
            for call_id in call_ids:
                calls[call_id] = ctx
                calls.move_to_end(call_id)
            while len(calls) > _TOOL_CALL_MEMORY:
                calls.popitem(last=False)


class _StepInvocation(Invocation):
    __slots__ = ()

    def _record_metrics(self, duration: float) -> None:
        return None


def _current_trace_id() -> int:
    return trace.get_current_span().get_span_context().trace_id
