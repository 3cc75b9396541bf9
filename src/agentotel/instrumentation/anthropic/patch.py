"""Wrappers around the anthropic client. They build no spans: the handler does.

Every Messages call (``create`` with or without ``stream=True``, the ``stream()`` helper,
``parse``, ``count_tokens``, and the ``beta.messages`` versions) goes through the client's
``request`` method, so that is what is wrapped: one place sees the request body, the
retries stay inside one span, and the ``stream()`` helpers read their events through the
observed stream. ``start_api_call_span`` is wrapped to settle who owns the call's span
(see :mod:`agentotel.instrumentation.anthropic.native`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar, Token
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.trace import NonRecordingSpan

from agentotel import _safety, semconv
from agentotel.instrumentation._owner import sdk_call_claimed
from agentotel.instrumentation.anthropic import extract, native, raw
from agentotel.instrumentation.anthropic.stream import MessageAccumulator
from agentotel.telemetry import InferenceInvocation, TelemetryHandler
from agentotel.telemetry.stream import AsyncStreamProxy, StreamProxy
from agentotel.telemetry.wrap import Hooks, abandon, guarded, wrapper

_BASE = "anthropic._base_client"
_RESPONSE = "anthropic._response"
_STREAMING = "anthropic.lib.streaming"


class _Call:
    """One traced request while it runs: what to start, and the invocation once started."""

    __slots__ = (
        "attrs",
        "body",
        "claimed",
        "client",
        "handler",
        "host",
        "inv",
        "lazy",
        "model",
        "operation",
        "port",
        "provider",
        "token",
    )

    def __init__(
        self,
        handler: TelemetryHandler,
        client: Any,
        operation: str,
        body: Mapping[str, Any],
        stream: bool,
    ) -> None:
        self.handler = handler
        self.client = client
        self.operation = operation
        self.body = body
        self.host, self.port, self.provider = extract.server_and_provider(client)
        model = body.get("model")
        self.model: str | None = model if isinstance(model, str) else None
        attrs = extract.request_attributes(body, stream) if operation == semconv.OP_CHAT else {}
        conversation = extract.conversation_id(client)
        if conversation:
            attrs[semconv.GEN_AI_CONVERSATION_ID] = conversation
        self.attrs = attrs
        self.inv: InferenceInvocation | None = None
        self.claimed = False
        self.token: Token[_Call | None] | None = None
        # Content given as one-shot iterators, recorded as the SDK reads it (see extract).
        self.lazy: dict[str, list[Any]] | None = None

    def start(self) -> InferenceInvocation:
        """agentotel's own span for the call."""
        self.inv = self.handler.inference(
            self.provider, self.model, self.operation, self.host, self.port, self.attrs
        )
        self._request_content(self.inv)
        return self.inv

    def adopt(self, span: Any) -> InferenceInvocation:
        """The SDK's span, reshaped, as the call's span."""
        self.inv = self.handler.inference(
            self.provider, self.model, self.operation, self.host, self.port, self.attrs, span=span
        )
        self._request_content(self.inv)
        return self.inv

    def _request_content(self, inv: InferenceInvocation) -> None:
        if inv.capture_content:
            with guarded("anthropic.request_content"):
                self._fill_request_content(inv)

    def _fill_request_content(self, inv: InferenceInvocation) -> None:
        body = self.body
        lazy = self.lazy or {}
        if "messages" not in lazy:
            inv.input_messages = extract.input_messages(body.get("messages"))
        if "system" not in lazy:
            inv.system_instructions = extract.system_instructions(body.get("system"))
        if "tools" not in lazy:
            inv.tool_definitions = extract.tool_definitions(body.get("tools"))

    def sent(self, inv: InferenceInvocation) -> None:
        """The request has been sent (or failed): fill content recorded as the SDK read it."""
        if self.lazy is not None:
            lazy, self.lazy = self.lazy, None
            with guarded("anthropic.request_content"):
                extract.recorded_content(inv, lazy)


# The request being traced in this context; read by the start_api_call_span wrapper.
_current: ContextVar[_Call | None] = ContextVar("agentotel_anthropic_call", default=None)


def _request_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, bool]:
    """(options, stream) from ``request(cast_to, options, *, stream=False, stream_cls=None)``."""
    options = args[1] if len(args) > 1 else kwargs.get("options")
    stream = kwargs.get("stream", args[2] if len(args) > 2 else False)
    return options, stream is True


def _body(result: Any) -> Any:
    """The response body to read: the result itself, or for a raw response
    (``with_raw_response`` …) its decoded JSON once read, else ``None``.

    Raw bodies are decoded from the HTTP response rather than through ``parse()``, to leave
    the application's response object untouched; a broken body gives ``None``.
    """
    http = getattr(result, "http_response", None)
    if http is None or not callable(getattr(result, "parse", None)):
        return result
    if not getattr(http, "is_closed", False) or getattr(result, "_stream", False):
        return None
    if not str(http.headers.get("content-type", "")).startswith("application/json"):
        return None
    try:
        return http.json()
    except ValueError:
        return None


def _is_stream(result: Any) -> bool:
    return hasattr(result, "__next__") or hasattr(result, "__anext__")


def _request_id(result: Any) -> str | None:
    response = getattr(result, "response", None)
    headers = getattr(response, "headers", None)
    value = headers.get("request-id") if headers is not None else None
    return value if isinstance(value, str) and value else None


def _invocation(call: _Call) -> InferenceInvocation | None:
    """The call's invocation, started late if the SDK never reached ``start_api_call_span``.

    ``None`` when the SDK's span was left to the SDK after an internal error (one span).
    """
    if call.inv is not None:
        return call.inv
    return None if call.claimed else call.start()


class _RequestHooks(Hooks[_Call]):
    """``SyncAPIClient.request`` / ``AsyncAPIClient.request`` for the Messages calls."""

    site = "anthropic.request"

    def __init__(self, handler: TelemetryHandler, mode: str) -> None:
        self.handler = handler
        self.mode = mode

    def begin(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Call | None:
        # A framework's span already reports the call (pydantic-ai's model request).
        if _current.get() is not None or sdk_call_claimed() or not is_instrumentation_enabled():
            return None
        options, stream = _request_args(args, kwargs)
        operation = extract.operation(options)
        if operation is None:
            return None
        body = getattr(options, "json_data", None)
        lazy = extract.record_iterators(body) if self.handler.content_enabled else None
        extra = getattr(options, "extra_json", None)
        if isinstance(body, Mapping) and isinstance(extra, Mapping) and extra:
            body = {**body, **extra}  # extra_body: sent over the named parameters
        call = _Call(
            self.handler, instance, operation, body if isinstance(body, Mapping) else {}, stream
        )
        call.lazy = lazy
        # In keep mode the SDK's span is adopted when the SDK starts it; without an SDK
        # tracer there will be none, so agentotel's span starts now, as in off mode.
        if self.mode == native.OFF or getattr(instance, "_tracer", None) is None:
            call.start()
        return call

    def enter(self, call: _Call) -> None:
        call.token = _current.set(call)
        if call.inv is not None:
            call.inv.attach()

    def leave(self, call: _Call) -> None:
        token, call.token = call.token, None
        try:
            if call.inv is not None:
                call.inv.detach()
        finally:
            if token is not None:
                _current.reset(token)

    def fail(self, call: _Call, exc: BaseException) -> None:
        inv = _invocation(call)
        if inv is not None:
            call.sent(inv)
            inv.fail(exc)

    def finish(self, call: _Call, result: Any) -> Any:
        inv = _invocation(call)
        if inv is None:
            return result
        call.sent(inv)
        if call.operation == semconv.OP_CHAT and _is_stream(result):
            inv.set(semconv.ANTHROPIC_REQUEST_ID, _request_id(result))
            acc = MessageAccumulator(inv.capture_content)
            proxy = AsyncStreamProxy if hasattr(result, "__anext__") else StreamProxy
            return proxy(result, inv, acc)
        http = raw.unread(result)
        if http is not None:
            raw.watch(http, inv, call.operation)  # ends when the body is read or closed
            return result
        body = _body(result)
        if body is not None:
            try:
                if call.operation == semconv.OP_CHAT:
                    extract.message_response(inv, body)
                else:
                    extract.count_tokens_response(inv, body)
            except Exception as exc:
                abandon(inv)
                _safety.report("anthropic.response", exc)
        inv.stop()
        return result

    def invocation(self, call: _Call) -> InferenceInvocation | None:
        return call.inv


def make_request_wrapper(
    handler: TelemetryHandler, mode: str, is_async: bool
) -> Callable[..., Any]:
    """Wrap ``SyncAPIClient.request`` / ``AsyncAPIClient.request`` for the Messages calls."""
    return wrapper(_RequestHooks(handler, mode), is_async)


def make_span_wrapper(mode: str) -> Callable[..., Any]:
    """Wrap the SDK's ``start_api_call_span`` so a traced call gets exactly one span."""

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        call = _current.get()
        if call is None and (sdk_call_claimed() or not is_instrumentation_enabled()):
            # Suppressed, or reported by a framework's own chat span: the SDK's span would
            # duplicate it. Its traceparent then names the span that is current.
            return NonRecordingSpan(trace.get_current_span().get_span_context())
        if call is None or call.claimed:
            return wrapped(*args, **kwargs)
        call.claimed = True
        if call.inv is not None:
            return native.stand_in(call.inv)
        # keep mode: let the SDK start its span, then adopt it.
        span = wrapped(*args, **kwargs)
        try:
            if native.recording_native(span):
                return native.AdoptedSpan(span, call.adopt(span))
            return native.stand_in(call.start())
        except Exception as exc:
            _safety.report("anthropic.native_span", exc)
            return span

    return wrapper


def patches(handler: TelemetryHandler, mode: str) -> list[tuple[str, str, Callable[..., Any]]]:
    """(module, "Class.method", wrapper) for every function this instrumentor patches."""
    return [
        (_BASE, "SyncAPIClient.request", make_request_wrapper(handler, mode, is_async=False)),
        (_BASE, "AsyncAPIClient.request", make_request_wrapper(handler, mode, is_async=True)),
        (_BASE, "start_api_call_span", make_span_wrapper(mode)),
        (_RESPONSE, "BaseAPIResponse._parse", raw.parse_wrapper),
        (_RESPONSE, "ResponseContextManager.__exit__", raw.exit_wrapper),
        (_RESPONSE, "AsyncResponseContextManager.__aexit__", raw.aexit_wrapper),
        (_STREAMING, "MessageStreamManager.__exit__", raw.exit_wrapper),
        (_STREAMING, "AsyncMessageStreamManager.__aexit__", raw.aexit_wrapper),
        (_STREAMING, "BetaMessageStreamManager.__exit__", raw.exit_wrapper),
        (_STREAMING, "BetaAsyncMessageStreamManager.__aexit__", raw.aexit_wrapper),
    ]
