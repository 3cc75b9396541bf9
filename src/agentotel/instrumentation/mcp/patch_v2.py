"""mcp 2.x: adopt the SDK's own spans instead of adding a second set.

mcp 2.x opens a CLIENT span in ``JSONRPCDispatcher.send_raw_request`` and a SERVER span in
``OpenTelemetryMiddleware``, both through a module-level ``otel_span`` helper, and carries
the trace context in ``params._meta``. We replace that helper in the two modules that call
it, so the same spans come from agentotel's tracer with convention names and attributes
and feed the duration metrics. The SDK's own error handling (``error.type``, status) still
runs on the span it is handed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from opentelemetry.trace import SpanKind

from agentotel import _safety, semconv
from agentotel.instrumentation._base import Wrapper
from agentotel.instrumentation.mcp.telemetry import MCPTelemetry, Operation

DISPATCHER = "mcp.shared.jsonrpc_dispatcher"
SERVER_OTEL = "mcp.server._otel"
_CLIENT_PREFIX = "MCP send "


@dataclass
class _Outbound:
    """The request being sent, so the span helper (which only gets a name) sees its params."""

    method: str
    params: Mapping[str, Any] | None
    op: Operation | None = None


_outbound: ContextVar[_Outbound | None] = ContextVar("agentotel_mcp_outbound", default=None)
_inbound: ContextVar[Any] = ContextVar("agentotel_mcp_inbound", default=None)


def _name_param(params: Mapping[str, Any] | None) -> str | None:
    value = params.get("name") if isinstance(params, Mapping) else None
    return value if isinstance(value, str) else None


def _uri_param(params: Mapping[str, Any] | None) -> str | None:
    value = params.get("uri") if isinstance(params, Mapping) else None
    return str(value) if value is not None else None


def _target_from_name(name: str, method: str) -> str | None:
    rest = name[len(_CLIENT_PREFIX) :] if name.startswith(_CLIENT_PREFIX) else name
    if rest.startswith(method):
        rest = rest[len(method) :]
    return rest.strip() or None


def _session_id(request: Any) -> str | None:
    headers = getattr(request, "headers", None)
    if headers is None:
        return None
    try:
        value = headers.get(semconv.MCP_SESSION_ID_HEADER)
    except Exception:
        return None
    return value if isinstance(value, str) else None


def _is_tool_error(result: Any) -> bool:
    return isinstance(result, Mapping) and result.get("isError") is True


def _remember_outbound(telemetry: MCPTelemetry) -> Wrapper:
    async def wrapper(
        wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        method = args[0] if args else kwargs.get("method")
        params = args[1] if len(args) > 1 else kwargs.get("params")
        outbound = _Outbound(method, params) if isinstance(method, str) else None
        token = _outbound.set(outbound)
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            if outbound is not None and outbound.op is not None:
                outbound.op.end(exc)
            raise
        finally:
            _outbound.reset(token)
        if outbound is not None and outbound.op is not None:
            # The span was kept open until the result was seen: a tool error is an error too.
            if outbound.method == semconv.MCP_METHOD_TOOLS_CALL and _is_tool_error(result):
                outbound.op.error(semconv.MCP_TOOL_ERROR)
            outbound.op.end()
        return result

    return wrapper


def _client_span(telemetry: MCPTelemetry) -> Wrapper:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            name = args[0] if args else kwargs.get("name", "")
            given = kwargs.get("attributes") or {}
            outbound = _outbound.get()
            method = str(
                given.get(semconv.MCP_METHOD_NAME) or (outbound.method if outbound else name)
            )
            params = outbound.params if outbound is not None and outbound.method == method else None
            target = (
                _name_param(params) if params is not None else _target_from_name(str(name), method)
            )
            op = telemetry.start(
                kwargs.get("kind", SpanKind.CLIENT),
                method,
                target,
                request_id=given.get(semconv.JSONRPC_REQUEST_ID),
                resource_uri=_uri_param(params),
                parent=kwargs.get("context"),
            )
        except Exception as exc:
            _safety.report("mcp.client_span", exc)
            return wrapped(*args, **kwargs)
        defer = outbound is not None and outbound.op is None
        if defer:
            assert outbound is not None
            outbound.op = op
        return _activate(telemetry, op, kwargs, end_on_success=not defer)

    return wrapper


@contextmanager
def _activate(
    telemetry: MCPTelemetry, op: Operation, kwargs: dict[str, Any], end_on_success: bool
) -> Iterator[Any]:
    record = bool(kwargs.get("record_exception", True))
    set_status = bool(kwargs.get("set_status_on_exception", True))
    with telemetry.active(op, record, set_status, end=end_on_success) as span:
        yield span


def _remember_inbound(
    wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    ctx = args[0] if args else kwargs.get("ctx")

    async def run() -> Any:
        token = _inbound.set(ctx)
        try:
            return await wrapped(*args, **kwargs)
        finally:
            _inbound.reset(token)

    return run()


def _server_span(telemetry: MCPTelemetry) -> Wrapper:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            given = kwargs.get("attributes") or {}
            ctx = _inbound.get()
            method = str(getattr(ctx, "method", None) or given.get(semconv.MCP_METHOD_NAME, ""))
            params = getattr(ctx, "params", None)
            op = telemetry.start(
                kwargs.get("kind", SpanKind.SERVER),
                method,
                _name_param(params),
                request_id=given.get(semconv.JSONRPC_REQUEST_ID),
                protocol_version=getattr(ctx, "protocol_version", None)
                or given.get(semconv.MCP_PROTOCOL_VERSION),
                session_id=_session_id(getattr(ctx, "request", None)),
                resource_uri=_uri_param(params),
                parent=kwargs.get("context"),
            )
        except Exception as exc:
            _safety.report("mcp.server_span", exc)
            return wrapped(*args, **kwargs)
        return _activate(telemetry, op, kwargs, end_on_success=True)

    return wrapper


def patches(telemetry: MCPTelemetry) -> list[tuple[str, str, Wrapper]]:
    return [
        (DISPATCHER, "JSONRPCDispatcher.send_raw_request", _remember_outbound(telemetry)),
        (DISPATCHER, "otel_span", _client_span(telemetry)),
        (SERVER_OTEL, "OpenTelemetryMiddleware.__call__", _remember_inbound),
        (SERVER_OTEL, "otel_span", _server_span(telemetry)),
    ]
