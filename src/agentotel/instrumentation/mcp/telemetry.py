"""MCP spans and duration metrics in the MCP semantic conventions. Imports no ``mcp`` module.

The patches (for mcp 2.x, which already decides where spans start, and for mcp 1.x,
which has none) describe an operation by method, target and request id; this module
names the span ``{mcp.method.name} {target}``, sets the attributes, carries
``error.type`` onto the ``mcp.{client,server}.operation.duration`` histograms and ends
everything exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import wrapt
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import Span, SpanKind, TracerProvider

from agentotel import _config, semconv
from agentotel.instrumentation._owner import reported_tool_call
from agentotel.telemetry import TelemetryHandler, secrets
from agentotel.telemetry.mcp import McpOperation

SCOPE = "agentotel.mcp"

Operation = McpOperation


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

    def set_status(self, status: Any, description: str | None = None) -> None:
        self.__wrapped__.set_status(*secrets.scrubbed_status(status, description))

    def record_exception(self, exception: BaseException, *args: Any, **kwargs: Any) -> None:
        self.__wrapped__.record_exception(
            exception, *secrets.scrubbed_exception_args(exception, args, kwargs)
        )


class MCPTelemetry:
    """Starts MCP client and server operations through a handler on the ``agentotel.mcp`` scope."""

    def __init__(
        self,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
        settings: _config.Settings | None = None,
    ) -> None:
        self.handler = TelemetryHandler(
            tracer_provider, meter_provider, settings=settings, scope=SCOPE
        )

    def start(self, kind: SpanKind, method: str, *args: Any, **kwargs: Any) -> Operation:
        """Start a CLIENT (sender) or SERVER (receiver) operation: :meth:`TelemetryHandler.mcp`.

        A ``tools/call`` sent under a framework's ``execute_tool`` span (an agent SDK's MCP
        tool) is that tool call already: the MCP span then does not count it again.
        """
        if (
            kind is SpanKind.CLIENT
            and method == semconv.MCP_METHOD_TOOLS_CALL
            and reported_tool_call(kwargs.get("parent"))
        ):
            kwargs["tool_operation"] = False
        return self.handler.mcp(kind, method, *args, **kwargs)

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
                    op.span.record_exception(exc, secrets.exception_attributes(exc))
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
