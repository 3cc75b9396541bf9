"""The model-request scope: while agentotel's ``chat`` span for a pydantic-ai request is open,
client instrumentors (openai, anthropic) must not open a second span for the same call.

pydantic-ai opens a streamed request in the task that consumes it and carries only the
OpenTelemetry context across (not Python context variables), so the signal has to live in
the OpenTelemetry context. It is the standard suppression key, which every OpenTelemetry
instrumentor checks, plus a marker saying that agentotel set it. The marker lets
agentotel's own hooks tell their suppression from the user's, and lift it for work nested
inside the request (an agent run or tool started by a request hook) so that work is traced.
"""

from __future__ import annotations

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.trace import Span

_OURS = otel_context.create_key("agentotel-pydantic-ai-request")


def user_suppressed() -> bool:
    """True when instrumentation is suppressed by someone other than agentotel's request scope."""
    return not is_instrumentation_enabled() and not otel_context.get_value(_OURS)


def request_context(span: Span) -> otel_context.Context:
    """``span`` current, with client instrumentation suppressed beneath it."""
    ctx = trace.set_span_in_context(span)
    ctx = otel_context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True, ctx)
    return otel_context.set_value(_OURS, True, ctx)


def nested_context(span: Span) -> otel_context.Context:
    """``span`` current, lifting agentotel's request-scope suppression if it is in force."""
    ctx = trace.set_span_in_context(span)
    if otel_context.get_value(_OURS, ctx):
        ctx = otel_context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, False, ctx)
        ctx = otel_context.set_value(_OURS, False, ctx)
    return ctx
