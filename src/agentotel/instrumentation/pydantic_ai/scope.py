"""Who reports a pydantic-ai model request: agentotel's ``chat`` span, not the client instrumentors.

Two markers, neither of them OpenTelemetry's global suppression key, so no other
instrumentation and no user code is ever silenced:

* the *request* marker, in the OpenTelemetry context beneath agentotel's ``chat`` span. It
  has to live there because pydantic-ai opens a streamed request in the task that consumes
  it and carries only the OpenTelemetry context across. pydantic-ai keeps that context
  current while the user's ``async for`` body runs, so on its own the marker silences
  nothing: it only tells the model wrappers (:mod:`.models`) that a ``chat`` span is open.
* the *SDK call* marker, a context variable that a model wrapper sets only while a
  pydantic-ai model sends its request through the provider SDK (never across a yield to
  user code). The openai and anthropic instrumentors stand down while it is set.
"""

from __future__ import annotations

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.trace import Span

from agentotel.instrumentation._owner import claim_sdk_call, release_sdk_call, sdk_call_claimed

_REQUEST = otel_context.create_key("agentotel-pydantic-ai-request")


def user_suppressed() -> bool:
    """True when the user (or another library) suppressed instrumentation."""
    return not is_instrumentation_enabled()


def request_context(span: Span) -> otel_context.Context:
    """``span`` current, marked as the ``chat`` span of the model request beneath it."""
    ctx = trace.set_span_in_context(span)
    return otel_context.set_value(_REQUEST, True, ctx)


def nested_context(span: Span) -> otel_context.Context:
    """``span`` current, with the request marker cleared: work nested in it is not the request."""
    ctx = trace.set_span_in_context(span)
    if otel_context.get_value(_REQUEST, ctx):
        ctx = otel_context.set_value(_REQUEST, False, ctx)
    return ctx


def in_request() -> bool:
    """True beneath agentotel's ``chat`` span for a pydantic-ai model request."""
    return bool(otel_context.get_value(_REQUEST))


__all__ = [
    "claim_sdk_call",
    "in_request",
    "nested_context",
    "release_sdk_call",
    "request_context",
    "sdk_call_claimed",
    "user_suppressed",
]
