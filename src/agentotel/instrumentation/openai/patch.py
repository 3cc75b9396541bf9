"""Wrappers around the openai resources. They build no spans: the handler does."""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable
from typing import Any

import wrapt
from opentelemetry.context import Context, create_key

from agentotel import _safety, semconv
from agentotel.instrumentation._owner import call_context
from agentotel.instrumentation._read import field
from agentotel.instrumentation.openai import extract
from agentotel.instrumentation.openai.stream import (
    ChatAccumulator,
    FetchAccumulator,
    ResponsesAccumulator,
)
from agentotel.telemetry import InferenceInvocation, TelemetryHandler
from agentotel.telemetry.stream import (
    Accumulator,
    AsyncStreamProxy,
    BodyObserver,
    StreamProxy,
    end_stream,
    exit_manager,
)
from agentotel.telemetry.wrap import Hooks, abandon, guarded, wrapper

# Set in the context while an instrumented call is in progress, so that SDK helpers
# calling another instrumented method (``.stream()`` -> ``.create()``) yield one span.
IN_CALL = create_key("agentotel-openai-call")

Starter = Callable[[TelemetryHandler, Any, dict[str, Any], Context], InferenceInvocation]
OnResponse = Callable[[InferenceInvocation, Any], None]
MakeAccumulator = Callable[[bool], Accumulator]


def _inference(
    handler: TelemetryHandler,
    instance: Any,
    kwargs: dict[str, Any],
    ctx: Context,
    operation: str,
    attributes: dict[str, Any],
) -> InferenceInvocation:
    host, port, provider = extract.server_and_provider(instance)
    model = kwargs.get("model")
    model = model if isinstance(model, str) else None
    return handler.inference(provider, model, operation, host, port, attributes, context=ctx)


def _start_chat(
    handler: TelemetryHandler, instance: Any, kwargs: dict[str, Any], ctx: Context
) -> InferenceInvocation:
    attrs = extract.chat_request_attributes(kwargs)
    inv = _inference(handler, instance, kwargs, ctx, semconv.OP_CHAT, attrs)
    if inv.capture_content:
        with guarded("openai.request_content"):
            inv.input_messages = extract.chat_input_messages(kwargs.get("messages"))
            inv.tool_definitions = extract.tool_definitions(kwargs.get("tools"))
    return inv


def _start_completion(
    handler: TelemetryHandler, instance: Any, kwargs: dict[str, Any], ctx: Context
) -> InferenceInvocation:
    attrs = extract.chat_request_attributes(kwargs)
    inv = _inference(handler, instance, kwargs, ctx, semconv.OP_TEXT_COMPLETION, attrs)
    prompt = kwargs.get("prompt")
    if inv.capture_content and isinstance(prompt, str):
        part = {"type": semconv.PART_TEXT, "content": prompt}
        inv.input_messages = [{"role": "user", "parts": [part]}]
    return inv


def _start_responses(
    handler: TelemetryHandler, instance: Any, kwargs: dict[str, Any], ctx: Context
) -> InferenceInvocation:
    attrs = extract.responses_request_attributes(kwargs)
    inv = _inference(handler, instance, kwargs, ctx, semconv.OP_CHAT, attrs)
    extract.compacted(inv, kwargs.get("input"))
    if inv.capture_content:
        with guarded("openai.request_content"):
            inv.input_messages, inv.system_instructions = extract.responses_input(kwargs)
            inv.tool_definitions = extract.tool_definitions(kwargs.get("tools"))
    return inv


def _start_fetch(
    handler: TelemetryHandler, instance: Any, kwargs: dict[str, Any], ctx: Context
) -> InferenceInvocation:
    """``responses.retrieve``: a ``fetch_response`` span named after the operation alone
    (the response id is too high in cardinality for a span name)."""
    response_id = kwargs.get("response_id")
    cursor = kwargs.get("starting_after")
    attrs: dict[str, Any] = {
        semconv.OPENAI_API_TYPE: semconv.OPENAI_API_TYPE_RESPONSES,
        semconv.GEN_AI_RESPONSE_ID: response_id if isinstance(response_id, str) else None,
        semconv.GEN_AI_REQUEST_STREAM_CURSOR: str(cursor) if isinstance(cursor, int) else None,
    }
    host, port, provider = extract.server_and_provider(instance)
    return handler.inference(
        provider, None, semconv.OP_FETCH_RESPONSE, host, port, attrs, context=ctx
    )


def _start_embeddings(
    handler: TelemetryHandler, instance: Any, kwargs: dict[str, Any], ctx: Context
) -> InferenceInvocation:
    attrs = extract.embeddings_request_attributes(kwargs)
    return _inference(handler, instance, kwargs, ctx, semconv.OP_EMBEDDINGS, attrs)


def _completion_response(inv: InferenceInvocation, response: Any) -> None:
    inv.response_id = field(response, "id")
    inv.response_model = field(response, "model")
    choices = field(response, "choices") or ()
    reasons = [field(c, "finish_reason") or "" for c in choices]
    if any(reasons):
        inv.finish_reasons = reasons
    extract.usage_chat(inv, field(response, "usage"))
    if inv.capture_content:
        inv.output_messages = [
            {
                "role": "assistant",
                "parts": [{"type": semconv.PART_TEXT, "content": field(c, "text")}],
                "finish_reason": extract.finish_reason(field(c, "finish_reason")),
            }
            for c in choices
        ]


_BODY, _STREAM, _ASYNC_STREAM, _RAW = 0, 1, 2, 3
_kinds: dict[type, int] = {}


def _kind(result: Any) -> int:
    """What a method returned, decided once per class (hasattr on models is not free)."""
    cls = type(result)
    kind = _kinds.get(cls)
    if kind is None:
        if hasattr(cls, "__anext__"):
            kind = _ASYNC_STREAM
        elif hasattr(cls, "__next__"):
            kind = _STREAM
        elif hasattr(cls, "http_response") or hasattr(result, "http_response"):
            kind = _RAW
        else:
            kind = _BODY
        _kinds[cls] = kind
    return kind


def _raw_body(result: Any) -> Any:
    """For ``with_raw_response`` results, the parsed body (``None`` when not yet readable)."""
    if type(result).__name__ == "LegacyAPIResponse" and not getattr(result, "_stream", False):
        return result.parse()
    return None


class RawResponseProxy(wrapt.ObjectProxy):  # type: ignore[misc,type-arg]
    """A raw response whose body is read later: ``parse()`` hands back an observed result."""

    def __init__(
        self,
        wrapped: Any,
        inv: InferenceInvocation,
        on_response: OnResponse,
        accumulator: MakeAccumulator | None,
    ) -> None:
        super().__init__(wrapped)
        self._self_inv = inv
        self._self_on_response = on_response
        self._self_accumulator = accumulator
        self._self_parsed: Any = None
        self._self_parsing = False
        # The caller may read the body straight off ``http_response``: the span then ends
        # when the body closes (read to the end, or closed unread).
        http: Any = getattr(wrapped, "http_response", None)
        if getattr(http, "is_closed", True) is False and hasattr(http, "stream"):
            with guarded("openai.raw_response"):
                http.stream = BodyObserver(http.stream, _BodyEnds(self))

    def _self_observe(self, value: Any) -> Any:
        inv = self._self_inv
        if self._self_parsed is not None or inv.ended:
            return self._self_parsed if self._self_parsed is not None else value
        try:
            kind = _kind(value)
            if kind in (_STREAM, _ASYNC_STREAM) and self._self_accumulator is not None:
                proxy = AsyncStreamProxy if kind == _ASYNC_STREAM else StreamProxy
                self._self_parsed = proxy(value, inv, self._self_accumulator(inv.capture_content))
                return self._self_parsed
            self._self_on_response(inv, value)
        except Exception as exc:
            _safety.report("openai.raw_response", exc)
        inv.stop()
        return value

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        # parse() reads (and so closes) the body: the span ends with the parsed value.
        self._self_parsing = True
        try:
            value = self.__wrapped__.parse(*args, **kwargs)
        except BaseException:
            self._self_parsing = False
            raise
        if inspect.isawaitable(value):
            return self._self_observe_later(value)
        self._self_parsing = False
        return self._self_observe(value)

    async def _self_observe_later(self, pending: Any) -> Any:
        try:
            value = await pending
        finally:
            self._self_parsing = False
        return self._self_observe(value)

    def close(self) -> Any:
        try:
            return self.__wrapped__.close()
        finally:
            self._self_end("closed")

    def _self_end(self, how: str) -> None:
        inv = getattr(self, "_self_inv", None)
        if inv is None or inv.ended or self._self_parsing:
            return
        if self._self_parsed is not None:
            # A parsed stream left unfinished when the response closes ends with it.
            end_stream(self._self_parsed, None, how)
            return
        inv.set(semconv.AGENTOTEL_STREAM_ENDED_BY, how)
        inv.stop()

    def __del__(self) -> None:
        self._self_end("abandoned")


class _BodyEnds:
    """What :class:`BodyObserver` tells a :class:`RawResponseProxy` (held weakly: the body
    belongs to the response, which the proxy wraps)."""

    __slots__ = ("proxy",)

    def __init__(self, proxy: RawResponseProxy) -> None:
        self.proxy = weakref.ref(proxy)

    def seen(self, part: Any) -> None:
        return None

    def closed(self) -> None:
        proxy = self.proxy()
        if proxy is not None:
            proxy._self_end("closed")

    def abandoned(self) -> None:
        return None  # the proxy's own __del__ ends the span


class _Hooks(Hooks[InferenceInvocation]):
    """One openai method: its starter, its response reader and its stream accumulator."""

    def __init__(
        self,
        handler: TelemetryHandler,
        start: Starter,
        on_response: OnResponse,
        accumulator: MakeAccumulator | None,
    ) -> None:
        self.handler = handler
        self.start = start
        self.on_response = on_response
        self.accumulator = accumulator
        self.site = "openai." + getattr(start, "__name__", "call").lstrip("_")

    def begin(
        self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> InferenceInvocation | None:
        # None when suppressed, nested in our own call, or reported by a framework's span
        # (pydantic-ai's model request).
        ctx = call_context(IN_CALL)
        if ctx is None:
            return None
        inv = self.start(self.handler, instance, kwargs, ctx)
        try:
            inv.attach(ctx, IN_CALL)
        except BaseException:
            abandon(inv)
            raise
        return inv

    def enter(self, call: InferenceInvocation) -> None:
        return None  # attached in begin, in the context begin read

    def finish(self, inv: InferenceInvocation, result: Any) -> Any:
        kind = _kinds.get(type(result))
        if kind is None:
            kind = _kind(result)
        if kind == _BODY:
            self._read(inv, result)
        elif kind == _RAW:
            body = _raw_body(result)
            if body is None:
                # A streamed raw response, or one whose body is not read yet: the span
                # ends when the caller parses (and consumes) it, closes it, or drops it.
                return RawResponseProxy(result, inv, self.on_response, self.accumulator)
            self._read(inv, body)
        elif self.accumulator is not None:
            acc = self.accumulator(inv.capture_content)
            proxy = AsyncStreamProxy if kind == _ASYNC_STREAM else StreamProxy
            return proxy(result, inv, acc)
        inv.stop()
        return result

    def _read(self, inv: InferenceInvocation, body: Any) -> None:
        """Fill ``inv`` from the response; a broken read costs the response attributes only."""
        try:
            self.on_response(inv, body)
        except Exception as exc:
            abandon(inv)
            _safety.report(f"{self.site}.response", exc)


class _FetchHooks(_Hooks):
    """``Responses.retrieve``: traced only under ``gen_ai_latest_experimental``, where the
    pending ``fetch_response`` operation is emitted; the id is the first positional argument."""

    def begin(
        self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> InferenceInvocation | None:
        if not semconv.latest_experimental_enabled():
            return None
        if args and "response_id" not in kwargs:
            kwargs = {"response_id": args[0], **kwargs}
        return super().begin(instance, args, kwargs)


def make_wrapper(
    handler: TelemetryHandler,
    start: Starter,
    on_response: OnResponse,
    accumulator: MakeAccumulator | None,
    is_async: bool,
) -> Callable[..., Any]:
    """Build a wrapt wrapper for one method; ``is_async`` for ``AsyncX`` resources."""
    return wrapper(_Hooks(handler, start, on_response, accumulator), is_async)


def _manager_exit(
    wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """``ResponseStreamManager.__exit__``: it closes the HTTP response, not the proxied
    stream, so the span ends here, with the caller's exception if one is leaving."""
    exit_manager(instance, args[1] if len(args) > 1 else kwargs.get("exc"))
    return wrapped(*args, **kwargs)


async def _manager_aexit(
    wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    exit_manager(instance, args[1] if len(args) > 1 else kwargs.get("exc"))
    return await wrapped(*args, **kwargs)


_CHAT = "openai.resources.chat.completions.completions"
_RESPONSE_STREAMS = "openai.lib.streaming.responses._responses"
_RESPONSES = "openai.resources.responses.responses"
_EMBEDDINGS = "openai.resources.embeddings"
_COMPLETIONS = "openai.resources.completions"


def patches(handler: TelemetryHandler) -> list[tuple[str, str, Callable[..., Any]]]:
    """(module, "Class.method", wrapper) for every method this instrumentor patches."""
    out: list[tuple[str, str, Callable[..., Any]]] = [
        (_RESPONSE_STREAMS, "ResponseStreamManager.__exit__", _manager_exit),
        (_RESPONSE_STREAMS, "AsyncResponseStreamManager.__aexit__", _manager_aexit),
    ]
    for prefix, is_async in (("", False), ("Async", True)):
        out += [
            (
                _CHAT,
                f"{prefix}Completions.create",
                make_wrapper(
                    handler, _start_chat, extract.chat_response, ChatAccumulator, is_async
                ),
            ),
            (
                _CHAT,
                f"{prefix}Completions.parse",
                make_wrapper(handler, _start_chat, extract.chat_response, None, is_async),
            ),
            (
                _RESPONSES,
                f"{prefix}Responses.create",
                make_wrapper(
                    handler,
                    _start_responses,
                    extract.responses_response,
                    ResponsesAccumulator,
                    is_async,
                ),
            ),
            (
                _RESPONSES,
                f"{prefix}Responses.parse",
                make_wrapper(handler, _start_responses, extract.responses_response, None, is_async),
            ),
            (
                _RESPONSES,
                f"{prefix}Responses.retrieve",
                wrapper(
                    _FetchHooks(handler, _start_fetch, extract.fetched_response, FetchAccumulator),
                    is_async,
                ),
            ),
            (
                _EMBEDDINGS,
                f"{prefix}Embeddings.create",
                make_wrapper(
                    handler, _start_embeddings, extract.embeddings_response, None, is_async
                ),
            ),
            (
                _COMPLETIONS,
                f"{prefix}Completions.create",
                make_wrapper(
                    handler, _start_completion, _completion_response, _legacy_acc, is_async
                ),
            ),
        ]
    return out


class _LegacyAccumulator:
    __slots__ = ("id", "model", "reasons", "usage")

    def __init__(self) -> None:
        self.id: Any = None
        self.model: Any = None
        self.reasons: dict[int, str] = {}
        self.usage: Any = None

    def feed(self, chunk: Any) -> None:
        if self.id is None:
            self.id = field(chunk, "id")
            self.model = field(chunk, "model")
        usage = field(chunk, "usage")
        if usage is not None:
            self.usage = usage
        for choice in field(chunk, "choices") or ():
            reason = field(choice, "finish_reason")
            if reason:
                self.reasons[field(choice, "index") or 0] = reason

    def finish(self, inv: InferenceInvocation) -> None:
        inv.response_id = self.id if isinstance(self.id, str) else None
        inv.response_model = self.model if isinstance(self.model, str) else None
        if self.reasons:
            inv.finish_reasons = [self.reasons[i] for i in sorted(self.reasons)]
        extract.usage_chat(inv, self.usage)


def _legacy_acc(capture: bool) -> Accumulator:
    return _LegacyAccumulator()
