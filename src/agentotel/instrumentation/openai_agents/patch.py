"""Wrappers around the OpenAI Agents SDK. They build no spans: the handler does.

* ``AgentRunner.run`` / ``run_streamed`` (every ``Runner.run``, ``run_sync`` and
  ``run_streamed`` goes through them) open the run's root ``invoke_workflow`` span;
  a streamed run's root ends with its event stream (``RunResultStreaming.stream_events``),
  or with the run's task when nobody reads the stream;
* ``get_response`` / ``stream_response`` of the SDK's two OpenAI models open one
  ``chat`` span per model request and claim the SDK call it makes (see
  :mod:`agentotel.instrumentation._owner`), so agentotel's openai instrumentor, if on,
  stands down; ``_fetch_response`` (where present) hands them the provider's response;
* ``ToolContext.from_agent_context`` gives the tool span its call id (and arguments),
  and ``maybe_invoke_function_tool_failure_error_function`` the exception a tool raised
  when the SDK turns it into a message for the model.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from typing import Any

from agentotel import _safety, semconv
from agentotel.instrumentation._owner import claim_sdk_call, release_sdk_call
from agentotel.instrumentation.openai_agents import extract, processor, scope
from agentotel.telemetry import InferenceInvocation, TelemetryHandler

Wrapper = Callable[[Any, Any, tuple[Any, ...], dict[str, Any]], Any]

_RESULT_ATTR = "_agentotel_run"
# The chat invocation of the model request in progress (set only while the SDK call runs).
_CHAT: ContextVar[InferenceInvocation | None] = ContextVar("agentotel_agents_chat", default=None)

_MODELS = (
    ("agents.models.openai_responses", "OpenAIResponsesModel"),
    ("agents.models.openai_chatcompletions", "OpenAIChatCompletionsModel"),
)


# -- runs ------------------------------------------------------------------------------


def _start_run(
    handler: TelemetryHandler, starting_agent: Any, input: Any, kwargs: dict[str, Any]
) -> scope.RunScope | None:
    if scope.suppressed():
        return None
    try:
        processor.ensure_registered()
        conversation = extract.conversation_id(kwargs)
        inv = handler.workflow(
            extract.workflow_name(kwargs),
            {semconv.GEN_AI_CONVERSATION_ID: conversation},
        )
        if inv.capture_content:
            inv.input_messages = extract.user_input(input)
        return scope.RunScope(inv, conversation)
    except Exception as exc:
        _safety.report("openai_agents.run", exc)
        return None


def _end_run(run: scope.RunScope, error: BaseException | None, result: Any = None) -> None:
    inv = run.inv
    if error is not None:
        inv.fail(error)
        return
    try:
        if inv.capture_content and result is not None:
            inv.output_messages = extract.final_output(getattr(result, "final_output", None))
    except Exception as exc:
        try:
            _safety.report("openai_agents.run.result", exc)
        finally:
            inv.stop()
        return
    inv.stop()


def _run_wrapper(handler: TelemetryHandler) -> Wrapper:
    async def wrapper(
        wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        run = _start_run(handler, *_run_args(args, kwargs), kwargs)
        if run is None:
            return await wrapped(*args, **kwargs)
        token = scope.enter_run(run)
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            scope.leave(token)
            _end_run(run, exc)
            raise
        scope.leave(token)
        _end_run(run, None, result)
        return result

    return wrapper


def _run_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    agent = args[0] if args else kwargs.get("starting_agent")
    value = args[1] if len(args) > 1 else kwargs.get("input")
    return agent, value


def _run_streamed_wrapper(handler: TelemetryHandler) -> Wrapper:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        run = _start_run(handler, *_run_args(args, kwargs), kwargs)
        if run is None:
            return wrapped(*args, **kwargs)
        # Current while the SDK creates the run's task, which copies the context.
        token = scope.enter_run(run)
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            scope.leave(token)
            _end_run(run, exc)
            raise
        scope.leave(token)
        try:
            setattr(result, _RESULT_ATTR, run)
            task = getattr(result, "run_loop_task", None)
            if isinstance(task, asyncio.Future):
                task.add_done_callback(lambda t: _run_task_done(run, t))
        except Exception as exc:
            _safety.report("openai_agents.run_streamed", exc)
        return result

    return wrapper


def _run_task_done(run: scope.RunScope, task: asyncio.Future[Any]) -> None:
    """End a streamed run nobody reads; a stream being read ends the run itself."""
    if run.owned_by_consumer:
        return
    if task.cancelled():
        run.inv.set(semconv.AGENTOTEL_STREAM_ENDED_BY, "cancelled")
        run.inv.stop()
        return
    _end_run(run, task.exception())


def _stream_events_wrapper(
    wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    run = getattr(instance, _RESULT_ATTR, None)
    if not isinstance(run, scope.RunScope) or run.inv.ended:
        return wrapped(*args, **kwargs)
    run.owned_by_consumer = True
    return _observe_run_events(run, instance, wrapped(*args, **kwargs))


async def _observe_run_events(run: scope.RunScope, result: Any, events: Any) -> AsyncIterator[Any]:
    try:
        async for event in events:
            yield event
    except BaseException as exc:
        await _close(events)
        _end_run(run, exc)
        raise
    _end_run(run, None, result)


async def _close(stream: Any) -> None:
    close = getattr(stream, "aclose", None)
    if close is not None:
        await close()


# -- model requests --------------------------------------------------------------------


def _start_chat(
    handler: TelemetryHandler,
    model: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    stream: bool,
) -> InferenceInvocation | None:
    if scope.suppressed():
        return None
    try:
        host, port, provider = extract.server_and_provider(model)
        name = extract.model_name(model)
        agent = scope.current_agent()
        scope.note_model(agent, provider, name)
        inv = handler.inference(
            provider,
            name,
            semconv.OP_CHAT,
            host,
            port,
            extract.request_attributes(extract.argument(args, kwargs, "model_settings"), stream),
        )
        if inv.capture_content:
            messages, system = extract.input_messages(
                extract.argument(args, kwargs, "system_instructions"),
                extract.argument(args, kwargs, "input"),
            )
            inv.input_messages = messages
            inv.system_instructions = system
            inv.tool_definitions = extract.tool_definitions(
                extract.argument(args, kwargs, "tools"),
                extract.argument(args, kwargs, "handoffs"),
            )
        return inv
    except Exception as exc:
        _safety.report("openai_agents.chat", exc)
        return None


def _finish_chat(inv: InferenceInvocation, response: Any) -> None:
    try:
        if response is not None:
            extract.model_response(inv, response)
        _count_usage(inv)
    except Exception as exc:
        try:
            _safety.report("openai_agents.chat.response", exc)
        finally:
            inv.stop()
        return
    inv.stop()


def _count_usage(inv: InferenceInvocation) -> None:
    scope.add_usage(scope.current_agent(), inv.input_tokens, inv.output_tokens)
    run = scope.current_run()
    if run is not None:
        scope.add_usage_to(run.inv, inv.input_tokens, inv.output_tokens)


def _get_response_wrapper(handler: TelemetryHandler) -> Wrapper:
    async def wrapper(
        wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        inv = _start_chat(handler, instance, args, kwargs, stream=False)
        if inv is None:
            return await wrapped(*args, **kwargs)
        claim = claim_sdk_call()
        chat = _CHAT.set(inv)
        try:
            response = await wrapped(*args, **kwargs)
        except BaseException as exc:
            _CHAT.reset(chat)
            release_sdk_call(claim)
            inv.fail(exc)
            raise
        _CHAT.reset(chat)
        release_sdk_call(claim)
        _finish_chat(inv, response)
        return response

    return wrapper


def _stream_response_wrapper(handler: TelemetryHandler) -> Wrapper:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return _observe_model_stream(handler, wrapped, instance, args, kwargs)

    return wrapper


async def _observe_model_stream(
    handler: TelemetryHandler,
    wrapped: Any,
    instance: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> AsyncIterator[Any]:
    """The model's event stream, unchanged; the SDK call is claimed during each step only."""
    inv = _start_chat(handler, instance, args, kwargs, stream=True)
    stream = wrapped(*args, **kwargs)
    if inv is None:
        async for event in stream:
            yield event
        return
    try:
        while True:
            claim = claim_sdk_call()
            chat = _CHAT.set(inv)
            try:
                event = await stream.__anext__()
            except StopAsyncIteration:
                break
            finally:
                _CHAT.reset(chat)
                release_sdk_call(claim)
            try:
                extract.stream_event(inv, event)
            except Exception as exc:
                _safety.report("openai_agents.chat.stream", exc)
            yield event
    except BaseException as exc:
        inv.fail(exc)
        await _close(stream)
        raise
    _finish_chat(inv, None)


def _fetch_response_wrapper(
    wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    return _fetch_response(wrapped, args, kwargs)


async def _fetch_response(wrapped: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    result = await wrapped(*args, **kwargs)
    inv = _CHAT.get()
    if inv is not None and not kwargs.get("stream"):
        try:
            extract.raw_response(inv, result)
        except Exception as exc:
            _safety.report("openai_agents.chat.raw", exc)
    return result


# -- tools -----------------------------------------------------------------------------


def _tool_context_wrapper(
    wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    result = wrapped(*args, **kwargs)
    record = scope.current_tool()
    if record is not None and not record.inv.ended:
        try:
            inv: Any = record.inv
            call_id = getattr(result, "tool_call_id", None)
            if isinstance(call_id, str) and call_id:
                inv.set(semconv.GEN_AI_TOOL_CALL_ID, call_id)
            if inv.capture_content and inv.arguments is None:
                inv.arguments = extract.tool_arguments(getattr(result, "tool_arguments", None))
        except Exception as exc:
            _safety.report("openai_agents.tool_context", exc)
    return result


def _tool_failure_wrapper(
    wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """The SDK is about to turn a tool's exception into a message for the model: keep it."""
    record = scope.current_tool()
    error = kwargs.get("error")
    if record is not None and isinstance(error, BaseException):
        record.error = error
    return wrapped(*args, **kwargs)


def patches(handler: TelemetryHandler) -> list[tuple[str, str, Wrapper]]:
    """(module, "Class.method", wrapper) for every method this instrumentor patches."""
    out: list[tuple[str, str, Wrapper]] = [
        ("agents.run", "AgentRunner.run", _run_wrapper(handler)),
        ("agents.run", "AgentRunner.run_streamed", _run_streamed_wrapper(handler)),
        ("agents.result", "RunResultStreaming.stream_events", _stream_events_wrapper),
        ("agents.tool_context", "ToolContext.from_agent_context", _tool_context_wrapper),
        ("agents.tool", "maybe_invoke_function_tool_failure_error_function", _tool_failure_wrapper),
    ]
    for module, cls in _MODELS:
        out.append((module, f"{cls}.get_response", _get_response_wrapper(handler)))
        out.append((module, f"{cls}.stream_response", _stream_response_wrapper(handler)))
        out.append((module, f"{cls}._fetch_response", _fetch_response_wrapper))
    return out
