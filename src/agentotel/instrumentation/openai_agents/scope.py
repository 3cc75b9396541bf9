"""What is open where: the run, agent and tool of the code running now, in the OpenTelemetry context.

The run wrapper makes the run's root span current; the tracing processor makes each
agent, tool and guardrail span current while the SDK keeps its own span of the same
operation current (it sets and resets a context variable in the same places, so the
two scopes nest identically). The model wrappers and small patches read these to
attach what only they see (tool call ids, tool errors, the agent's provider).
"""

from __future__ import annotations

from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from agentotel import semconv
from agentotel.instrumentation._owner import tool_span_context
from agentotel.telemetry import AgentInvocation, Invocation, ToolInvocation
from agentotel.telemetry import context as _context

_RUN = otel_context.create_key("agentotel-openai-agents-run")
_AGENT = otel_context.create_key("agentotel-openai-agents-agent")
_TOOL = otel_context.create_key("agentotel-openai-agents-tool")


class RunScope:
    """One ``Runner`` run: its root invocation and what its agent spans share."""

    __slots__ = ("conversation_id", "inv", "owned_by_consumer")

    def __init__(self, inv: AgentInvocation, conversation_id: str | None) -> None:
        self.inv = inv
        self.conversation_id = conversation_id
        # A streamed run ends when its event stream does, once the caller reads it.
        self.owned_by_consumer = False


class Record:
    """An SDK span agentotel mirrors: the invocation, the context token, what patches add."""

    __slots__ = ("error", "inv", "token")

    def __init__(self, inv: Invocation) -> None:
        self.inv = inv
        self.token: Any = None
        self.error: BaseException | None = None


def enter(inv: Invocation, key: Any = None, value: Any = None) -> Any:
    """Make ``inv``'s span current (with ``key`` set to ``value``); returns the token."""
    ctx = trace.set_span_in_context(inv.span)
    if key is not None:
        ctx = otel_context.set_value(key, value, ctx)
    return _context.attach(ctx)


def leave(token: Any) -> None:
    """Undo :func:`enter`; a token from another context (a stream finalised elsewhere) is ignored."""
    if token is not None:
        _context.detach(token)


def enter_run(scope: RunScope) -> Any:
    return enter(scope.inv, _RUN, scope)


def enter_agent(record: Record) -> Any:
    return enter(record.inv, _AGENT, record)


def enter_tool(record: Record) -> Any:
    ctx = trace.set_span_in_context(record.inv.span)
    ctx = otel_context.set_value(_TOOL, record, tool_span_context(ctx, record.inv.span))
    return _context.attach(ctx)


def current_run() -> RunScope | None:
    value = otel_context.get_value(_RUN)
    return value if isinstance(value, RunScope) else None


def current_agent() -> Record | None:
    value = otel_context.get_value(_AGENT)
    return value if isinstance(value, Record) else None


def current_tool() -> Record | None:
    value = otel_context.get_value(_TOOL)
    if isinstance(value, Record) and isinstance(value.inv, ToolInvocation):
        return value
    return None


def suppressed() -> bool:
    """True when the user (or another library) suppressed instrumentation."""
    return not is_instrumentation_enabled()


def note_model(record: Record | None, provider: str, model: str | None) -> None:
    """Give an agent span its model's provider and name, learnt at its first model call."""
    if record is None:
        return
    inv = record.inv
    metric = inv.metric_attributes
    if semconv.GEN_AI_PROVIDER_NAME not in metric:
        metric[semconv.GEN_AI_PROVIDER_NAME] = provider
        inv.set(semconv.GEN_AI_PROVIDER_NAME, provider)
    if model and semconv.GEN_AI_REQUEST_MODEL not in metric:
        metric[semconv.GEN_AI_REQUEST_MODEL] = model
        inv.set(semconv.GEN_AI_REQUEST_MODEL, model)


def add_usage(record: Record | None, input_tokens: int | None, output_tokens: int | None) -> None:
    """Sum a model call's tokens into an agent (or run) invocation."""
    if record is None:
        return
    add_usage_to(record.inv, input_tokens, output_tokens)


def add_usage_to(inv: Invocation, input_tokens: int | None, output_tokens: int | None) -> None:
    if not isinstance(inv, AgentInvocation):
        return
    if input_tokens is not None:
        inv.input_tokens = (inv.input_tokens or 0) + input_tokens
    if output_tokens is not None:
        inv.output_tokens = (inv.output_tokens or 0) + output_tokens
