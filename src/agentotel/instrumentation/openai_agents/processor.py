"""A tracing processor of the OpenAI Agents SDK that reports agents, tools and guardrails.

The SDK opens one of its own spans around each agent's turns, each function tool call,
each guardrail and each handoff, and calls every registered ``TracingProcessor`` as
it starts and ends them, in the task that runs the operation. This processor starts
the matching :class:`~agentotel.telemetry.TelemetryHandler` invocation there and
makes it current until the SDK span ends, so anything called inside (model calls,
MCP requests, nested runs) nests under it. Model calls are not reported from here:
the model wrappers (:mod:`.patch`) own the ``chat`` spans.

One instance lives for the process (the SDK has no way to remove a processor); it
is inert while agentotel does not instrument the SDK.
"""

from __future__ import annotations

import sys
from typing import Any

from agents.exceptions import AgentsException
from agents.tracing import (
    AgentSpanData,
    FunctionSpanData,
    GuardrailSpanData,
    HandoffSpanData,
    TracingProcessor,
    add_trace_processor,
    set_trace_processors,
)

from agentotel import _safety, semconv
from agentotel.instrumentation.openai_agents import extract, scope
from agentotel.telemetry import TelemetryHandler, ToolInvocation


class AgentotelProcessor(TracingProcessor):
    """Mirrors the SDK's agent, function and guardrail spans as GenAI invocations."""

    def __init__(self) -> None:
        self.handler: TelemetryHandler | None = None
        self._records: dict[str, scope.Record] = {}

    # -- traces: the run's root span comes from the run wrapper -----------------
    def on_trace_start(self, trace: Any) -> None:
        return None

    def on_trace_end(self, trace: Any) -> None:
        return None

    # -- spans -------------------------------------------------------------------
    def on_span_start(self, span: Any) -> None:
        handler = self.handler
        if handler is None or scope.suppressed():
            return
        try:
            data = span.span_data
            if isinstance(data, AgentSpanData):
                record = self._start_agent(handler, data)
                record.token = scope.enter_agent(record)
            elif isinstance(data, FunctionSpanData):
                record = scope.Record(handler.tool(str(data.name)))
                record.token = scope.enter_tool(record)
            elif isinstance(data, GuardrailSpanData):
                name = str(data.name)
                record = scope.Record(
                    handler.step(f"guardrail {name}", {semconv.AGENTOTEL_GUARDRAIL_NAME: name})
                )
                record.token = scope.enter(record.inv)
            else:
                return
            self._records[span.span_id] = record
        except Exception as exc:
            _safety.report("openai_agents.span_start", exc)

    def _start_agent(self, handler: TelemetryHandler, data: Any) -> scope.Record:
        run = scope.current_run()
        inv = handler.agent(
            data.name if isinstance(data.name, str) and data.name else None,
            conversation_id=run.conversation_id if run is not None else None,
        )
        return scope.Record(inv)

    def on_span_end(self, span: Any) -> None:
        record = self._records.pop(span.span_id, None)
        if isinstance(span.span_data, HandoffSpanData):
            self._note_handoff(span.span_data)
        if record is None:
            return
        scope.leave(record.token)
        # The SDK ends its span inside ``with``/``finally``: an exception on its way out
        # is the operation's failure (or, if it is a cancellation, its interruption).
        escaping = sys.exc_info()[1]
        inv = record.inv
        if isinstance(inv, ToolInvocation):
            escaping = _tool_error(escaping)
        try:
            data = span.span_data
            if isinstance(data, GuardrailSpanData):
                inv.set(semconv.AGENTOTEL_GUARDRAIL_TRIGGERED, bool(data.triggered))
            elif isinstance(inv, ToolInvocation) and inv.capture_content:
                if inv.arguments is None and data.input is not None:
                    inv.arguments = extract.tool_arguments(data.input)
                if data.output is not None:
                    inv.result = data.output
            if isinstance(data, FunctionSpanData) and data.mcp_data:
                inv.set(semconv.GEN_AI_TOOL_TYPE, semconv.TOOL_TYPE_EXTENSION)
        except Exception as exc:
            try:
                _safety.report("openai_agents.span_end", exc)
            finally:
                _end(inv, escaping, record.error, None)
            return
        _end(inv, escaping, record.error, span.error)

    def _note_handoff(self, data: Any) -> None:
        """A handoff is told on the agent that hands off (no span of its own; see the docs)."""
        agent = scope.current_agent()
        if agent is None or self.handler is None:
            return
        agent.inv.set(semconv.AGENTOTEL_HANDOFF_TO_AGENT, data.to_agent)

    def shutdown(self) -> None:
        return None

    def force_flush(self) -> None:
        return None


def _tool_error(error: BaseException | None) -> BaseException | None:
    """The tool's own exception, not the SDK's ``UserError`` wrapped around it."""
    if isinstance(error, AgentsException) and isinstance(error.__cause__, Exception):
        return error.__cause__
    return error


def _end(
    inv: Any, escaping: BaseException | None, error: BaseException | None, span_error: Any
) -> None:
    if escaping is not None:
        inv.fail(escaping)
    elif error is not None:
        inv.fail(error)
    elif span_error is not None:
        message = span_error.get("message") if isinstance(span_error, dict) else None
        inv.fail(semconv.ERROR_TYPE_OTHER, message if isinstance(message, str) else None)
    else:
        inv.stop()


_PROCESSOR = AgentotelProcessor()
_registered = False
_replaced: tuple[Any, ...] | None = None


def _current_processors() -> tuple[Any, ...] | None:
    """The SDK's registered processors (private state, read only to restore it)."""
    from agents.tracing import get_trace_provider

    multi = getattr(get_trace_provider(), "_multi_processor", None)
    processors = getattr(multi, "_processors", None)
    return tuple(processors) if isinstance(processors, (tuple, list)) else None


def install(handler: TelemetryHandler, upload: bool | None) -> None:
    """Activate the processor; ``upload=False`` leaves it the SDK's only processor until
    :func:`uninstall` (the default leaves the SDK's own processors as they are)."""
    global _registered, _replaced
    _PROCESSOR.handler = handler
    if upload is False and _replaced is None:
        _replaced = _current_processors() or ()
        set_trace_processors([_PROCESSOR])
        _registered = True
    ensure_registered()


def ensure_registered() -> None:
    """Register the processor once; again if the application replaced the SDK's processors."""
    global _registered
    if not _registered:
        add_trace_processor(_PROCESSOR)
        _registered = True
        return
    current = _current_processors()
    if current is not None and _PROCESSOR not in current:
        add_trace_processor(_PROCESSOR)


def active() -> bool:
    return _PROCESSOR.handler is not None


def uninstall() -> None:
    """Make the processor inert and give back processors ``upload=False`` took away."""
    global _replaced
    _PROCESSOR.handler = None
    if _replaced is not None:
        set_trace_processors([*(p for p in _replaced if p is not _PROCESSOR), _PROCESSOR])
        _replaced = None
