"""Ownership of an SDK call: when a framework's own span reports it, client instrumentors stand down.

A framework instrumentor (pydantic-ai) that emits the ``chat`` span for a model
request claims the SDK call its model makes, for exactly the duration of that
call and never across a yield to user code. The openai and anthropic
instrumentors read the claim and open no span of their own. It is a context
variable, reset in the task that set it, so it cannot leak into other tasks,
and it is not OpenTelemetry's global suppression key, so no other
instrumentation is silenced.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Any

from opentelemetry import trace
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, Context, create_key, set_value

from agentotel.telemetry.context import current

_sdk_call: ContextVar[bool] = ContextVar("agentotel_sdk_call_claimed", default=False)
# opentelemetry-instrumentation also honours the plain key.
_SUPPRESS_PLAIN = "suppress_instrumentation"


def claim_sdk_call() -> Token[bool]:
    """Mark the SDK calls made from here on as reported by the caller's span; undo with
    :func:`release_sdk_call` in the same task."""
    return _sdk_call.set(True)


def release_sdk_call(token: Token[bool]) -> None:
    """Undo :func:`claim_sdk_call`."""
    _sdk_call.reset(token)


def sdk_call_claimed() -> bool:
    """True while a framework's span reports the SDK call being made."""
    return _sdk_call.get()


def call_context(marker: str) -> Context | None:
    """The current context if an SDK call starting now gets a span of its own, else ``None``.

    ``None`` when instrumentation is suppressed, when a framework's span claims the
    call, or when ``marker`` (an instrumentor's own key, set while its span is
    current) shows the call is made from inside another traced call of the same SDK.
    """
    ctx = current()
    if ctx.get(marker) or ctx.get(_SUPPRESS_INSTRUMENTATION_KEY) or ctx.get(_SUPPRESS_PLAIN):
        return None
    if _sdk_call.get():
        return None
    return ctx


# A framework's ``execute_tool`` span, current while the framework runs the tool. An MCP
# ``tools/call`` made directly beneath it is that tool's transport: the MCP instrumentor
# then leaves ``gen_ai.operation.name`` off its span, so each tool call counts once.
_TOOL_SPAN = create_key("agentotel-framework-tool-span")


def tool_span_context(ctx: Context, span: Any) -> Context:
    """``ctx`` marked with ``span`` as the framework's span for the tool being run."""
    return set_value(_TOOL_SPAN, span, ctx)


def reported_tool_call(ctx: Context | None = None) -> bool:
    """True when the current span (in ``ctx``) is a framework's ``execute_tool`` span."""
    ctx = ctx if ctx is not None else current()
    span = ctx.get(_TOOL_SPAN)
    return span is not None and span is trace.get_current_span(ctx)
