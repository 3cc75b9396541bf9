"""mcp 1.x: no spans of its own, so agentotel makes them and carries the trace context.

The sender's side wraps ``BaseSession.send_request`` (every request a client or server
session sends: ``tools/call``, ``tools/list``, ``resources/read``, ``prompts/get`` ...),
starts a CLIENT span and puts ``traceparent``/``tracestate`` into ``params._meta`` of a
copy of the request. The receiver's side wraps the low-level ``Server._handle_request``,
starts a SERVER span under the extracted context, and reads the response it sends
(``RequestResponder.respond``) for JSON-RPC errors and tool errors.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from opentelemetry.trace import SpanKind

from agentotel import _safety, semconv
from agentotel.instrumentation._base import Wrapper
from agentotel.instrumentation.mcp.telemetry import MCPTelemetry, Operation, extract, inject

SESSION = "mcp.shared.session"
LOWLEVEL = "mcp.server.lowlevel.server"

_responding: ContextVar[Operation | None] = ContextVar("agentotel_mcp_responding", default=None)


def _describe(request: Any) -> tuple[str, str | None, str | None]:
    """Method, target (tool or prompt name) and resource URI of a typed request."""
    root = getattr(request, "root", request)
    method = str(getattr(root, "method", ""))
    params = getattr(root, "params", None)
    name = getattr(params, "name", None)
    uri = getattr(params, "uri", None)
    return method, name if isinstance(name, str) else None, str(uri) if uri is not None else None


def _with_trace_context(request: Any) -> Any:
    """A copy of ``request`` whose ``params._meta`` carries the current trace context."""
    carrier: dict[str, Any] = {}
    inject(carrier)
    if not carrier:
        return request
    data = request.model_dump(by_alias=True, mode="json", exclude_none=True)
    params = data.get("params")
    if not isinstance(params, dict):
        params = data["params"] = {}
    meta = params.get("_meta")
    if not isinstance(meta, dict):
        meta = params["_meta"] = {}
    for key, value in carrier.items():
        meta.setdefault(key, value)
    return type(request).model_validate(data)


def _error_code(exc: BaseException) -> int | None:
    code = getattr(getattr(exc, "error", None), "code", None)
    return code if isinstance(code, int) else None


def _send_request(telemetry: MCPTelemetry) -> Wrapper:
    async def wrapper(
        wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        try:
            request = args[0] if args else kwargs["request"]
            method, target, uri = _describe(request)
            op = telemetry.start(
                SpanKind.CLIENT,
                method,
                target,
                request_id=getattr(instance, "_request_id", None),
                resource_uri=uri,
            )
        except Exception as exc:
            _safety.report("mcp.v1.send_request", exc)
            return await wrapped(*args, **kwargs)
        with telemetry.active(op):
            try:
                traced = _with_trace_context(request)
                if args:
                    args = (traced, *args[1:])
                else:
                    kwargs = {**kwargs, "request": traced}
            except Exception as exc:
                _safety.report("mcp.v1.inject", exc)
            try:
                result = await wrapped(*args, **kwargs)
            except Exception as exc:
                code = _error_code(exc)
                if code is not None:
                    op.error(str(code), str(exc) or None, str(code))
                raise
            if (
                method == semconv.MCP_METHOD_TOOLS_CALL
                and getattr(result, "isError", False) is True
            ):
                op.error(semconv.MCP_TOOL_ERROR)
            return result

    return wrapper


def _carrier(meta: Any) -> dict[str, Any]:
    if meta is None:
        return {}
    dump = getattr(meta, "model_dump", None)
    data = dump() if callable(dump) else meta
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def _handle_request(telemetry: MCPTelemetry) -> Wrapper:
    async def wrapper(
        wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        try:
            message = args[0] if args else kwargs["message"]
            request = args[1] if len(args) > 1 else kwargs["req"]
            session = args[2] if len(args) > 2 else kwargs.get("session")
            method, target, uri = _describe(request)
            client_params = getattr(session, "client_params", None)
            metadata = getattr(message, "message_metadata", None)
            http_request = getattr(metadata, "request_context", None)
            headers = getattr(http_request, "headers", None)
            session_id = headers.get(semconv.MCP_SESSION_ID_HEADER) if headers is not None else None
            op = telemetry.start(
                SpanKind.SERVER,
                method,
                target,
                request_id=getattr(message, "request_id", None),
                protocol_version=getattr(client_params, "protocolVersion", None),
                session_id=session_id if isinstance(session_id, str) else None,
                resource_uri=uri,
                parent=extract(_carrier(getattr(message, "request_meta", None))),
            )
        except Exception as exc:
            _safety.report("mcp.v1.handle_request", exc)
            return await wrapped(*args, **kwargs)
        token = _responding.set(op)
        try:
            with telemetry.active(op):
                return await wrapped(*args, **kwargs)
        finally:
            _responding.reset(token)

    return wrapper


async def _respond(
    wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    op = _responding.get()
    if op is not None:
        try:
            response = args[0] if args else kwargs.get("response")
            root = getattr(response, "root", response)
            code = getattr(response, "code", None)
            message = getattr(response, "message", None)
            if isinstance(code, int) and isinstance(message, str):
                op.error(str(code), message or None, str(code))
            elif getattr(root, "isError", False) is True:
                op.error(semconv.MCP_TOOL_ERROR)
        except Exception as exc:
            _safety.report("mcp.v1.respond", exc)
    return await wrapped(*args, **kwargs)


def patches(telemetry: MCPTelemetry) -> list[tuple[str, str, Wrapper]]:
    return [
        (SESSION, "BaseSession.send_request", _send_request(telemetry)),
        (LOWLEVEL, "Server._handle_request", _handle_request(telemetry)),
        (SESSION, "RequestResponder.respond", _respond),
    ]
