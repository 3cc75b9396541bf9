"""Wrappers around LiteLLM's module functions. They build no spans: the handler does.

``litellm.completion``, ``acompletion``, ``embedding`` and ``aembedding`` are wrapped on
the ``litellm`` module; the ``Router`` looks them up there on every attempt, so each
deployment it tries gets its span too. While a call runs it claims the SDK calls made
under it (see :mod:`agentotel.instrumentation._owner`): when LiteLLM reaches a provider
through the openai or anthropic SDK, agentotel's instrumentors of those SDKs stand down
and the call has exactly one span, named for the provider that served it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opentelemetry.context import Context, create_key

from agentotel import _safety, semconv
from agentotel.instrumentation._owner import call_context, claim_sdk_call, release_sdk_call
from agentotel.instrumentation.litellm import extract
from agentotel.instrumentation.litellm.stream import AsyncChatStream
from agentotel.instrumentation.openai import extract as openai_extract
from agentotel.instrumentation.openai.stream import ChatAccumulator
from agentotel.telemetry import InferenceInvocation, TelemetryHandler
from agentotel.telemetry.stream import StreamProxy

# Set in the context while a traced LiteLLM call runs: LiteLLM calling itself (fallbacks,
# acompletion running completion) stays one span.
IN_CALL = create_key("agentotel-litellm-call")

Start = Callable[[TelemetryHandler, dict[str, Any], Context], InferenceInvocation]
Done = Callable[[InferenceInvocation, Any], None]


def _start_chat(
    handler: TelemetryHandler, kwargs: dict[str, Any], ctx: Context
) -> InferenceInvocation:
    provider, model, host, port = extract.route(kwargs)
    attrs = openai_extract.chat_request_attributes(kwargs)
    inv = handler.inference(provider, model, semconv.OP_CHAT, host, port, attrs, context=ctx)
    if inv.capture_content:
        inv.input_messages = openai_extract.chat_input_messages(kwargs.get("messages"))
        inv.tool_definitions = openai_extract.tool_definitions(kwargs.get("tools"))
    return inv


def _start_embeddings(
    handler: TelemetryHandler, kwargs: dict[str, Any], ctx: Context
) -> InferenceInvocation:
    provider, model, host, port = extract.route(kwargs)
    attrs = openai_extract.embeddings_request_attributes(kwargs)
    return handler.inference(provider, model, semconv.OP_EMBEDDINGS, host, port, attrs, context=ctx)


def _chat_done(inv: InferenceInvocation, response: Any) -> None:
    openai_extract.chat_response(inv, response)
    extract.cache_creation(inv, response)
    extract.response_cost(inv, response)


def _embeddings_done(inv: InferenceInvocation, response: Any) -> None:
    openai_extract.embeddings_response(inv, response)
    extract.response_cost(inv, response)


# function -> (starter, response reader, name of its second positional parameter)
FUNCTIONS: dict[str, tuple[Start, Done, str]] = {
    "completion": (_start_chat, _chat_done, "messages"),
    "acompletion": (_start_chat, _chat_done, "messages"),
    "embedding": (_start_embeddings, _embeddings_done, "input"),
    "aembedding": (_start_embeddings, _embeddings_done, "input"),
}


def make_wrapper(handler: TelemetryHandler, function: str) -> Callable[..., Any]:
    """Build the wrapper of one LiteLLM function (``a``-prefixed ones are coroutines)."""
    start, done, second = FUNCTIONS[function]
    is_async = function.startswith("a")

    def begin(args: tuple[Any, ...], kwargs: dict[str, Any]) -> InferenceInvocation | None:
        ctx = call_context(IN_CALL)
        if ctx is None:
            return None
        inv = None
        try:
            call = kwargs
            if args:
                call = {"model": args[0], **kwargs}
                if len(args) > 1:
                    call[second] = args[1]
            inv = start(handler, call, ctx)
            inv.attach(ctx, IN_CALL)
            return inv
        except Exception as exc:
            if inv is not None:
                inv.stop()
            _safety.report(f"litellm.{function}", exc)
            return None

    def finish(inv: InferenceInvocation, result: Any) -> Any:
        try:
            if is_async and hasattr(type(result), "__anext__"):
                return AsyncChatStream(result, inv, ChatAccumulator(inv.capture_content))
            if not is_async and hasattr(type(result), "__next__"):
                return StreamProxy(result, inv, ChatAccumulator(inv.capture_content))
            done(inv, result)
        except Exception as exc:
            try:
                _safety.report(f"litellm.{function}.response", exc)
            finally:
                inv.stop()
            return result
        inv.stop()
        return result

    if is_async:

        async def async_wrapper(
            wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
        ) -> Any:
            inv = begin(args, kwargs)
            if inv is None:
                return await wrapped(*args, **kwargs)
            claim = claim_sdk_call()
            try:
                result = await wrapped(*args, **kwargs)
            except BaseException as exc:
                release_sdk_call(claim)
                inv.detach()
                inv.fail(exc)
                raise
            release_sdk_call(claim)
            inv.detach()
            return finish(inv, result)

        return async_wrapper

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        inv = begin(args, kwargs)
        if inv is None:
            return wrapped(*args, **kwargs)
        claim = claim_sdk_call()
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            release_sdk_call(claim)
            inv.detach()
            inv.fail(exc)
            raise
        release_sdk_call(claim)
        inv.detach()
        return finish(inv, result)

    return wrapper


def patches(handler: TelemetryHandler) -> list[tuple[str, str, Callable[..., Any]]]:
    """(module, "function", wrapper) for every function this instrumentor patches."""
    return [("litellm", name, make_wrapper(handler, name)) for name in FUNCTIONS]
