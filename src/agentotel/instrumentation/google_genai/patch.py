"""Wrappers around google-genai's per-request methods and its function-calling loop.

The public methods (``generate_content``, ``chats.send_message`` ...) may make several
model requests per call: automatic function calling and automatic continuation loop over
the private per-request methods ``Models._generate_content``,
``_generate_content_stream`` and ``_embed_content``. Wrapping those gives exactly one
span per model request, each with its own usage, whichever public method made it. The
Python functions the SDK calls for the model go through
``_extra_utils.invoke_function_from_dict_args`` (and its async twin), which get an
``execute_tool`` span each. The wrappers build no spans: the handler does.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from opentelemetry.context import Context, create_key

from agentotel import _safety, semconv
from agentotel.instrumentation._owner import call_context
from agentotel.instrumentation._read import field
from agentotel.instrumentation.google_genai import extract
from agentotel.instrumentation.google_genai.stream import ContentAccumulator
from agentotel.telemetry import InferenceInvocation, TelemetryHandler, ToolInvocation
from agentotel.telemetry.stream import Accumulator, AsyncStreamProxy, StreamProxy

# Set in the context while a traced request is in progress (one span per request).
IN_CALL = create_key("agentotel-google-genai-call")

Starter = Callable[[TelemetryHandler, Any, dict[str, Any], Context], InferenceInvocation]
OnResponse = Callable[[InferenceInvocation, Any], None]
MakeAccumulator = Callable[[bool], Accumulator]


def _start_generate(stream: bool) -> Starter:
    def start(
        handler: TelemetryHandler, instance: Any, kwargs: dict[str, Any], ctx: Context
    ) -> InferenceInvocation:
        config = kwargs.get("config")
        host, port, provider = extract.server_and_provider(instance, config)
        inv = handler.inference(
            provider,
            extract.request_model(kwargs.get("model")),
            semconv.OP_GENERATE_CONTENT,
            host,
            port,
            extract.request_attributes(config, stream),
            context=ctx,
        )
        if inv.capture_content:
            inv.input_messages = extract.input_messages(kwargs.get("contents"))
            inv.system_instructions = extract.system_instructions(config)
            inv.tool_definitions = extract.tool_definitions(config)
        return inv

    start.__name__ = "generate_content_stream" if stream else "generate_content"
    return start


def _start_embed(
    handler: TelemetryHandler, instance: Any, kwargs: dict[str, Any], ctx: Context
) -> InferenceInvocation:
    config = kwargs.get("config")
    host, port, provider = extract.server_and_provider(instance, config)
    return handler.inference(
        provider,
        extract.request_model(kwargs.get("model")),
        semconv.OP_EMBEDDINGS,
        host,
        port,
        extract.embeddings_attributes(config),
        context=ctx,
    )


_BODY, _STREAM, _ASYNC_STREAM = 0, 1, 2
_kinds: dict[type, int] = {}


def _kind(result: Any) -> int:
    """Body, stream or async stream, decided once per class (a missing attribute on a
    pydantic model is slow to look up)."""
    cls = type(result)
    if hasattr(cls, "__anext__"):
        kind = _ASYNC_STREAM
    elif hasattr(cls, "__next__"):
        kind = _STREAM
    else:
        kind = _BODY
    if len(_kinds) < 256:
        _kinds[cls] = kind
    return kind


def make_wrapper(
    handler: TelemetryHandler,
    start: Starter,
    on_response: OnResponse,
    accumulator: MakeAccumulator | None,
    is_async: bool,
) -> Callable[..., Any]:
    """One model request: start, call, then observe the body or the stream it returns."""

    site = f"google_genai.{getattr(start, '__name__', 'request').lstrip('_')}"

    def begin(instance: Any, kwargs: dict[str, Any]) -> InferenceInvocation | None:
        ctx = call_context(IN_CALL)
        if ctx is None:
            return None
        inv = None
        try:
            inv = start(handler, instance, kwargs, ctx)
            inv.attach(ctx, IN_CALL)
            return inv
        except Exception as exc:
            if inv is not None:
                inv.stop()
            _safety.report(site, exc)
            return None

    def finish(inv: InferenceInvocation, result: Any) -> Any:
        try:
            kind = _kinds.get(type(result))
            if kind is None:
                kind = _kind(result)
            if kind != _BODY and accumulator is not None:
                proxy = AsyncStreamProxy if kind == _ASYNC_STREAM else StreamProxy
                return proxy(result, inv, accumulator(inv.capture_content))
            on_response(inv, result)
        except Exception as exc:
            try:
                _safety.report(f"{site}.response", exc)
            finally:
                inv.stop()
            return result
        inv.stop()
        return result

    if is_async:

        async def async_wrapper(
            wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
        ) -> Any:
            inv = begin(instance, kwargs)
            if inv is None:
                return await wrapped(*args, **kwargs)
            try:
                result = await wrapped(*args, **kwargs)
            except BaseException as exc:
                inv.detach()
                inv.fail(exc)
                raise
            inv.detach()
            return finish(inv, result)

        return async_wrapper

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        inv = begin(instance, kwargs)
        if inv is None:
            return wrapped(*args, **kwargs)
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            inv.detach()
            inv.fail(exc)
            raise
        inv.detach()
        return finish(inv, result)

    return wrapper


# -- automatic function calling ---------------------------------------------------

# (name, call id) of the function calls the SDK is about to run, when the model gave ids.
_pending: ContextVar[list[tuple[str, str]] | None] = ContextVar(
    "agentotel_google_genai_calls", default=None
)


def _calls_with_ids(response: Any) -> list[tuple[str, str]]:
    candidates = field(response, "candidates")
    if not candidates:
        return []
    parts = field(field(candidates[0], "content"), "parts") or ()
    calls = []
    for p in parts:
        call = field(p, "function_call")
        name, call_id = field(call, "name"), field(call, "id")
        if isinstance(name, str) and isinstance(call_id, str) and call_id:
            calls.append((name, call_id))
    return calls


def make_calls_wrapper(is_async: bool) -> Callable[..., Any]:
    """Wrap ``get_function_response_parts[_async]``: note the call ids the tool spans carry."""

    def note(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            response = kwargs.get("response", args[0] if args else None)
            calls = _calls_with_ids(response)
            return _pending.set(calls) if calls else None
        except Exception as exc:
            _safety.report("google_genai.function_calls", exc)
            return None

    if is_async:

        async def async_wrapper(
            wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
        ) -> Any:
            token = note(args, kwargs)
            try:
                return await wrapped(*args, **kwargs)
            finally:
                if token is not None:
                    _pending.reset(token)

        return async_wrapper

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        token = note(args, kwargs)
        try:
            return wrapped(*args, **kwargs)
        finally:
            if token is not None:
                _pending.reset(token)

    return wrapper


@lru_cache(maxsize=256)
def _description(function: Any) -> str | None:
    doc = inspect.getdoc(function)
    return doc or None


def _call_id(name: str) -> str | None:
    calls = _pending.get()
    if calls:
        for index, (call_name, call_id) in enumerate(calls):
            if call_name == name:
                del calls[index]
                return call_id
    return None


def _tool_error(exc: BaseException) -> BaseException:
    """The function's own exception rather than the SDK's ``FunctionInvocationError`` wrapper."""
    if type(exc).__name__ == "FunctionInvocationError":
        inner = exc.__cause__ or exc.__context__
        if isinstance(inner, Exception):
            return inner
    return exc


def make_tool_wrapper(handler: TelemetryHandler, is_async: bool) -> Callable[..., Any]:
    """Wrap ``invoke_function_from_dict_args[_async](args, function_to_invoke)``."""

    def begin(args: tuple[Any, ...], kwargs: dict[str, Any]) -> ToolInvocation | None:
        ctx = call_context(IN_CALL)
        if ctx is None:
            return None
        try:
            arguments = kwargs.get("args", args[0] if args else None)
            function = kwargs.get("function_to_invoke", args[1] if len(args) > 1 else None)
            name = getattr(function, "__name__", None) or type(function).__name__
            try:
                description = _description(function)
            except TypeError:  # unhashable callable
                description = None
            inv = handler.tool(name, _call_id(name), description)
            if inv.capture_content:
                inv.arguments = arguments
            inv.attach()
            return inv
        except Exception as exc:
            _safety.report("google_genai.tool", exc)
            return None

    def end(inv: ToolInvocation, result: Any) -> None:
        inv.detach()
        if inv.capture_content:
            inv.result = result
        inv.stop()

    if is_async:

        async def async_wrapper(
            wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
        ) -> Any:
            inv = begin(args, kwargs)
            if inv is None:
                return await wrapped(*args, **kwargs)
            try:
                result = await wrapped(*args, **kwargs)
            except BaseException as exc:
                inv.detach()
                inv.fail(_tool_error(exc))
                raise
            end(inv, result)
            return result

        return async_wrapper

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        inv = begin(args, kwargs)
        if inv is None:
            return wrapped(*args, **kwargs)
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            inv.detach()
            inv.fail(_tool_error(exc))
            raise
        end(inv, result)
        return result

    return wrapper


_MODELS = "google.genai.models"
_EXTRA = "google.genai._extra_utils"


def patches(handler: TelemetryHandler) -> list[tuple[str, str, Callable[..., Any]]]:
    """(module, "Class.method", wrapper) for every function this instrumentor patches."""
    out: list[tuple[str, str, Callable[..., Any]]] = []
    for prefix, is_async in (("", False), ("Async", True)):
        out += [
            (
                _MODELS,
                f"{prefix}Models._generate_content",
                make_wrapper(handler, _start_generate(False), extract.response, None, is_async),
            ),
            (
                _MODELS,
                f"{prefix}Models._generate_content_stream",
                make_wrapper(
                    handler, _start_generate(True), extract.response, ContentAccumulator, is_async
                ),
            ),
            (
                _MODELS,
                f"{prefix}Models._embed_content",
                make_wrapper(handler, _start_embed, extract.embeddings_response, None, is_async),
            ),
        ]
    suffix = ("", "_async")
    for is_async, end in zip((False, True), suffix):
        out += [
            (_EXTRA, f"get_function_response_parts{end}", make_calls_wrapper(is_async)),
            (_EXTRA, f"invoke_function_from_dict_args{end}", make_tool_wrapper(handler, is_async)),
        ]
    return out
