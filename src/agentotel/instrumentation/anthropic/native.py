"""Coexistence with the anthropic SDK's own call spans: exactly one span per call.

The SDK (2.x) starts a CLIENT span for every API call in ``start_api_call_span`` and
injects that span's trace context into the request headers. For the calls agentotel
traces, one of two things happens instead:

``off`` (default)
    agentotel's span is the call's span. The SDK is handed a non-recording stand-in that
    carries agentotel's span context, so it records nothing, and its ``traceparent``
    injection (still governed by the client's ``propagation`` option) names agentotel's span.
``keep``
    The SDK's span is the call's span. agentotel adopts it: renames it to the conventions'
    ``{operation} {model}``, adds its attributes at the end, records the metrics, and starts
    no span of its own. The SDK's attributes (``http.*``, ``url.*``, ``anthropic.*``), scope
    and provider stay. When the SDK has no recording span (telemetry off for the client, no
    tracer provider, not sampled) agentotel falls back to its own span, as in ``off``.

Calls agentotel does not trace (models, batches, files …) keep their native spans either way.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

import wrapt
from opentelemetry.trace import NonRecordingSpan, Span, SpanKind

from agentotel.telemetry import InferenceInvocation, secrets

_log = logging.getLogger("agentotel")

NATIVE_SPANS_ENV = "AGENTOTEL_ANTHROPIC_NATIVE_SPANS"
OFF = "off"
KEEP = "keep"
_ALIASES = {"off": OFF, "drop": OFF, "false": OFF, "0": OFF, "keep": KEEP, "true": KEEP, "1": KEEP}


def native_mode(value: Any = None, env: Mapping[str, str] | None = None) -> str:
    """``off`` or ``keep``, from the argument, else ``AGENTOTEL_ANTHROPIC_NATIVE_SPANS``."""
    if value is None:
        value = (os.environ if env is None else env).get(NATIVE_SPANS_ENV)
        if value is None or not value.strip():
            return OFF
    mode = _ALIASES.get(str(value).strip().lower())
    if mode is None:
        _log.warning("agentotel: ignoring native_spans=%r (expected 'off' or 'keep')", value)
        return OFF
    return mode


def stand_in(inv: InferenceInvocation) -> Span | None:
    """What the SDK gets instead of its own span: agentotel's context, recording nothing.

    ``None`` (no span, no propagation) when there is no valid context to propagate, which
    is also what the SDK does on its own in that case.
    """
    ctx = inv.span.get_span_context()
    return NonRecordingSpan(ctx) if ctx.is_valid else None


_WRITES = frozenset(
    {"set_attribute", "set_attributes", "set_status", "record_exception", "add_event", "add_link"}
)


class AdoptedSpan(wrapt.ObjectProxy):  # type: ignore[misc,type-arg]
    """The SDK's span as the SDK sees it once agentotel has adopted it.

    The invocation ends the span (after adding its own end attributes), so the SDK's
    ``end()`` is a no-op, and its writes after that end are dropped rather than logged as
    writes to an ended span. ``update_name`` is the invocation's alone.
    """

    def __init__(self, span: Span, inv: InferenceInvocation) -> None:
        super().__init__(span)
        self._self_inv = inv

    def end(self, end_time: int | None = None) -> None:
        return None

    def update_name(self, name: str) -> None:
        return None

    def set_status(self, status: Any, description: str | None = None) -> None:
        if not self._self_inv.ended:
            self.__wrapped__.set_status(*secrets.scrubbed_status(status, description))

    def record_exception(self, exception: BaseException, *args: Any, **kwargs: Any) -> None:
        if not self._self_inv.ended:
            self.__wrapped__.record_exception(
                exception, *secrets.scrubbed_exception_args(exception, args, kwargs)
            )

    def __getattr__(self, name: str) -> Any:
        if name in _WRITES and self._self_inv.ended:
            return _ignore
        return getattr(self.__wrapped__, name)


def _ignore(*_args: Any, **_kwargs: Any) -> None:
    return None


def recording_native(span: Any) -> bool:
    """Whether the SDK's span is worth adopting: a real, recording CLIENT span."""
    if span is None or not span.is_recording():
        return False
    kind = getattr(span, "kind", SpanKind.CLIENT)
    return bool(kind == SpanKind.CLIENT)
