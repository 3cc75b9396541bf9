"""The wrapper around botocore's ``BaseClient._make_api_call``. It builds no spans: the handler does.

Every boto3 client method goes through ``_make_api_call(operation_name, api_params)``,
so one wrapper sees all four ``bedrock-runtime`` operations of every client, whenever it
was created; a table maps each operation to its starter and its response reader. Calls
of other services and operations pass straight through after one dict lookup.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from typing import Any

from opentelemetry.context import Context, create_key

from agentotel import _safety, semconv
from agentotel.instrumentation._owner import call_context
from agentotel.instrumentation.bedrock import extract
from agentotel.instrumentation.bedrock.stream import (
    ConverseAccumulator,
    EventStreamProxy,
    InvokeStreamAccumulator,
)
from agentotel.telemetry import InferenceInvocation, TelemetryHandler

# Set in the context while a traced Bedrock call runs, so nested calls yield one span.
IN_CALL = create_key("agentotel-bedrock-call")

SERVICE = "bedrock-runtime"

Start = Callable[
    [TelemetryHandler, Any, Mapping[str, Any], Context], tuple[InferenceInvocation, str]
]
Done = Callable[[InferenceInvocation, str, Any], Any]


def _start(
    handler: TelemetryHandler,
    client: Any,
    params: Mapping[str, Any],
    ctx: Context,
    operation: str,
    attrs: dict[str, Any],
) -> InferenceInvocation:
    host, port = extract.server(client)
    model = params.get("modelId")
    return handler.inference(
        semconv.PROVIDER_AWS_BEDROCK,
        model if isinstance(model, str) else None,
        operation,
        host,
        port,
        attrs,
        context=ctx,
    )


def _converse_start(stream: bool) -> Start:
    def start(
        handler: TelemetryHandler, client: Any, params: Mapping[str, Any], ctx: Context
    ) -> tuple[InferenceInvocation, str]:
        attrs = extract.converse_attributes(params, stream)
        inv = _start(handler, client, params, ctx, semconv.OP_CHAT, attrs)
        if inv.capture_content:
            extract.converse_content(inv, params)
        return inv, ""

    return start


def _invoke_start(stream: bool) -> Start:
    def start(
        handler: TelemetryHandler, client: Any, params: Mapping[str, Any], ctx: Context
    ) -> tuple[InferenceInvocation, str]:
        body = extract.decode_body(params.get("body"))
        model = params.get("modelId")
        kind = extract.family(model if isinstance(model, str) else None, body)
        attrs = extract.invoke_attributes(kind, body, params, stream)
        inv = _start(handler, client, params, ctx, extract.operation_of(kind), attrs)
        if inv.capture_content and body is not None:
            extract.invoke_content(inv, kind, body)
        return inv, kind

    return start


def _converse_done(inv: InferenceInvocation, kind: str, result: Any) -> Any:
    inv.set(semconv.AWS_REQUEST_ID, extract.request_id(result))
    extract.converse_response(inv, result)
    inv.stop()
    return result


def _converse_stream_done(inv: InferenceInvocation, kind: str, result: Any) -> Any:
    inv.set(semconv.AWS_REQUEST_ID, extract.request_id(result))
    stream = result.get("stream")
    if stream is None:
        inv.stop()
        return result
    result["stream"] = EventStreamProxy(stream, inv, ConverseAccumulator(inv.capture_content))
    return result


class _ReadFailed(Exception):
    """Carries the error of reading a response body, which the caller must see unchanged."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _invoke_done(inv: InferenceInvocation, kind: str, result: Any) -> Any:
    """Reads the response body (the span's end is when it arrived) and hands the caller an
    identical, unread ``StreamingBody`` over the same bytes."""
    inv.set(semconv.AWS_REQUEST_ID, extract.request_id(result))
    raw_body = result.get("body")
    if raw_body is not None and callable(getattr(raw_body, "read", None)):
        from botocore.response import StreamingBody  # type: ignore[import-untyped]

        try:
            data = raw_body.read()
        except BaseException as exc:
            inv.fail(exc)
            raise _ReadFailed(exc) from None
        result["body"] = StreamingBody(io.BytesIO(data), len(data))
        try:
            body = extract.decode_body(data)
            if body is not None:
                extract.invoke_response(inv, kind, body)
        except Exception as exc:
            _safety.report("bedrock.invoke_model.response", exc)
    extract.header_tokens(inv, result)
    inv.stop()
    return result


def _invoke_stream_done(inv: InferenceInvocation, kind: str, result: Any) -> Any:
    inv.set(semconv.AWS_REQUEST_ID, extract.request_id(result))
    stream = result.get("body")
    if stream is None:
        inv.stop()
        return result
    acc = InvokeStreamAccumulator(inv.capture_content, kind)
    result["body"] = EventStreamProxy(stream, inv, acc)
    return result


OPERATIONS: dict[str, tuple[Start, Done]] = {
    "Converse": (_converse_start(False), _converse_done),
    "ConverseStream": (_converse_start(True), _converse_stream_done),
    "InvokeModel": (_invoke_start(False), _invoke_done),
    "InvokeModelWithResponseStream": (_invoke_start(True), _invoke_stream_done),
}

# Client class -> whether it is a bedrock-runtime client (boto3 makes one class per service).
_is_bedrock: dict[type, bool] = {}


def _bedrock_client(client: Any) -> bool:
    cls = type(client)
    found = _is_bedrock.get(cls)
    if found is None:
        model = getattr(getattr(client, "meta", None), "service_model", None)
        found = getattr(model, "service_name", None) == SERVICE
        _is_bedrock[cls] = found
    return found


def make_wrapper(handler: TelemetryHandler) -> Callable[..., Any]:
    """Wrap ``BaseClient._make_api_call(operation_name, api_params)``."""

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        name = args[0] if args else kwargs.get("operation_name")
        entry = OPERATIONS.get(name) if isinstance(name, str) else None
        if entry is None or not _bedrock_client(instance):
            return wrapped(*args, **kwargs)
        ctx = call_context(IN_CALL)
        if ctx is None:
            return wrapped(*args, **kwargs)
        start, done = entry
        inv = None
        try:
            params = args[1] if len(args) > 1 else kwargs.get("api_params")
            inv, kind = start(
                handler,
                instance,
                params if type(params) is dict or isinstance(params, Mapping) else {},
                ctx,
            )
            inv.attach(ctx, IN_CALL)
        except Exception as exc:
            if inv is not None:
                inv.stop()
            _safety.report(f"bedrock.{name}", exc)
            return wrapped(*args, **kwargs)
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            inv.detach()
            inv.fail(exc)
            raise
        inv.detach()
        if not isinstance(result, dict):
            inv.stop()
            return result
        try:
            return done(inv, kind, result)
        except _ReadFailed as failed:
            raise failed.error from None
        except Exception as exc:
            try:
                _safety.report(f"bedrock.{name}.response", exc)
            finally:
                inv.stop()
            return result

    return wrapper


def patches(handler: TelemetryHandler) -> list[tuple[str, str, Callable[..., Any]]]:
    """(module, "Class.method", wrapper) for every function this instrumentor patches."""
    return [("botocore.client", "BaseClient._make_api_call", make_wrapper(handler))]
