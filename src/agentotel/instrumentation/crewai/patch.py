"""Wrappers around CrewAI: crews and flows, agents on tasks, tool calls and model requests.

Patching, not CrewAI's event bus: the bus hands events to handlers on a thread pool
and does not run them in the caller's context, so spans opened from events could not
become the current span for the model and tool calls beneath them. Wrapping the
methods keeps every span current exactly while its work runs, in sync and async code.

Token usage rolls up through :class:`~agentotel.instrumentation.crewai.scope.Scope`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from agentotel import _safety
from agentotel.instrumentation._owner import claim_sdk_call, release_sdk_call
from agentotel.instrumentation.crewai import extract
from agentotel.instrumentation.crewai.scope import Scope, chat, current, run_scoped
from agentotel.telemetry import TelemetryHandler
from agentotel.telemetry.invocation import InferenceInvocation, Invocation

Wrapper = Callable[[Any, Any, tuple[Any, ...], dict[str, Any]], Any]

_CREW = "crewai.crew"
_TASK = "crewai.task"
_AGENT = "crewai.agent.core"
_EXECUTOR = "crewai.agents.agent_executor"
_BASE_LLM = "crewai.llms.base_llm"
_FLOW = "crewai.flow.runtime"
_LLM_CLASSES = (
    ("crewai.llms.providers.openai.completion", "OpenAICompletion"),
    ("crewai.llm", "LLM"),
)
MAX_ITERATIONS = "max_iterations_exceeded"


# -- crews and flows ---------------------------------------------------------
def _crew_kickoff(handler: TelemetryHandler) -> Wrapper:
    def start(crew: Any) -> Scope | None:
        if getattr(crew, "stream", False):
            return None  # the streaming kickoff re-enters kickoff without streaming
        inv = handler.workflow(extract.crew_name(crew))
        return Scope(inv, current.get())

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return run_scoped(lambda: start(instance), wrapped, args, kwargs)

    return wrapper


def _flow_kickoff(handler: TelemetryHandler) -> Wrapper:
    def start(flow: Any) -> Scope | None:
        if getattr(flow, "stream", False) or extract.internal_flow(flow):
            return None  # CrewAI runs each agent's loop as a flow of its own: not a workflow
        return Scope(handler.workflow(extract.flow_name(flow)), current.get(), owner=flow)

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return run_scoped(lambda: start(instance), wrapped, args, kwargs)

    return wrapper


def _flow_method(handler: TelemetryHandler) -> Wrapper:
    async def wrapper(
        wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        step: Invocation | None = None
        scope = current.get()
        if scope is None or scope.owner is not instance:
            return await wrapped(*args, **kwargs)
        try:
            name = str(extract.arg(args, kwargs, 0, "method_name"))
            step = handler.step(name)
            step.attach()
        except Exception as exc:
            _safety.report("crewai.flow_step", exc)
        if step is None:
            return await wrapped(*args, **kwargs)
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            step.detach()
            step.fail(exc)
            raise
        step.detach()
        step.stop()
        return result

    return wrapper


# -- agents ------------------------------------------------------------------
def _agent_scope(handler: TelemetryHandler, agent: Any, task: Any) -> Scope:
    llm = getattr(agent, "llm", None)
    inv = handler.agent(
        extract.agent_role(agent),
        agent_id=extract.agent_id(agent),
        provider=extract.provider(llm) if llm is not None else None,
        request_model=extract.model(llm) if llm is not None else None,
    )
    if inv.capture_content:
        inv.input_messages = extract.text_message("user", getattr(task, "description", None))
    return Scope(inv, current.get(), agent, task)


def _task_execute(handler: TelemetryHandler) -> Wrapper:
    """``Task._execute_core``: the agent working on a task, guardrails included."""

    def start(task: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None:
        agent = extract.arg(args, kwargs, 0, "agent") or getattr(task, "agent", None)
        if agent is None:
            return None
        return _agent_scope(handler, agent, task)

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return run_scoped(lambda: start(instance, args, kwargs), wrapped, args, kwargs)

    return wrapper


def _agent_execute(handler: TelemetryHandler) -> Wrapper:
    """``Agent.execute_task`` outside a task span: delegation and direct calls."""

    def start(agent: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None:
        task = extract.arg(args, kwargs, 0, "task")
        outer = current.get()
        if outer is not None and outer.agent is agent and outer.task is task:
            return None  # the task's span already reports this run
        return _agent_scope(handler, agent, task)

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return run_scoped(lambda: start(instance, args, kwargs), wrapped, args, kwargs)

    return wrapper


def _max_iterations(
    wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """CrewAI forces a final answer when an agent runs out of iterations: mark its span."""
    scope = current.get()
    if scope is not None:
        scope.error_type = MAX_ITERATIONS
    return wrapped(*args, **kwargs)


# -- tools -------------------------------------------------------------------
def _native_tool(handler: TelemetryHandler) -> Wrapper:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        tool = None
        try:
            from crewai.utilities.agent_utils import (  # type: ignore[import-not-found]
                extract_tool_call_info,
            )

            info = extract_tool_call_info(extract.arg(args, kwargs, 0, "tool_call"))
            if info:
                call_id, name, arguments = info
                tool = handler.tool(str(name), call_id=extract.text(call_id))
                tool.arguments = arguments
                tool.attach()
        except Exception as exc:
            _safety.report("crewai.tool", exc)
        if tool is None:
            return wrapped(*args, **kwargs)
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            tool.detach()
            tool.fail(exc)
            raise
        tool.detach()
        try:
            failed = extract.tool_failure_type(result)
            if isinstance(result, dict):
                tool.result = result.get("result")
        except Exception as exc:
            _safety.report("crewai.tool_result", exc)
            failed = None
        if failed:
            tool.fail(failed)
        else:
            tool.stop()
        return result

    return wrapper


# -- model requests ------------------------------------------------------------
def _start_chat(handler: TelemetryHandler, llm: Any) -> InferenceInvocation | None:
    if chat.get() is not None:
        return None  # a nested call of the same request (LLM delegating to a provider class)
    try:
        host, port = extract.server(llm)
        inv = handler.inference(
            extract.provider(llm), extract.model(llm), server_address=host, server_port=port
        )
        inv.attach()
        return inv
    except Exception as exc:
        _safety.report("crewai.chat", exc)
        return None


def _end_chat(inv: InferenceInvocation, error: BaseException | None) -> None:
    inv.detach()
    if error is not None:
        inv.fail(error)
        return
    scope = current.get()
    if scope is not None:
        scope.add(inv.input_tokens, inv.output_tokens)
    inv.stop()


def _llm_call(handler: TelemetryHandler) -> Wrapper:
    """Own each CrewAI model request: one ``chat`` span; client instrumentors stand down."""

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if inspect.iscoroutinefunction(wrapped):
            return _acall(wrapped, instance, args, kwargs)
        inv = _start_chat(handler, instance)
        if inv is None:
            return wrapped(*args, **kwargs)
        chat_token = chat.set(inv)
        claim = claim_sdk_call()
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            release_sdk_call(claim)
            chat.reset(chat_token)
            _end_chat(inv, exc)
            raise
        release_sdk_call(claim)
        chat.reset(chat_token)
        _end_chat(inv, None)
        return result

    async def _acall(
        wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        inv = _start_chat(handler, instance)
        if inv is None:
            return await wrapped(*args, **kwargs)
        chat_token = chat.set(inv)
        claim = claim_sdk_call()
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            release_sdk_call(claim)
            chat.reset(chat_token)
            _end_chat(inv, exc)
            raise
        release_sdk_call(claim)
        chat.reset(chat_token)
        _end_chat(inv, None)
        return result

    return wrapper


def _call_completed(
    wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """CrewAI reports each answered request with usage, finish reason and response id."""
    inv = chat.get()
    if inv is not None:
        try:
            input_tokens, output_tokens, cached = extract.usage(
                extract.arg(args, kwargs, 5, "usage")
            )
            # Several answers in one call (a retry): count each once.
            if input_tokens is not None:
                inv.input_tokens = (inv.input_tokens or 0) + input_tokens
            if output_tokens is not None:
                inv.output_tokens = (inv.output_tokens or 0) + output_tokens
            if cached:
                inv.cache_read_input_tokens = cached
            reason = extract.text(extract.arg(args, kwargs, 6, "finish_reason"))
            if reason:
                inv.finish_reasons = (reason,)
            inv.response_id = extract.text(extract.arg(args, kwargs, 7, "response_id"))
            if inv.capture_content:
                inv.output_messages = extract.text_message(
                    "assistant", extract.arg(args, kwargs, 0, "response")
                )
        except Exception as exc:
            _safety.report("crewai.chat_completed", exc)
    return wrapped(*args, **kwargs)


def patches(handler: TelemetryHandler) -> list[tuple[str, str, Wrapper]]:
    """(module, "Class.method", wrapper) for every method this instrumentor patches."""
    out: list[tuple[str, str, Wrapper]] = [
        (_CREW, "Crew.kickoff", _crew_kickoff(handler)),
        (_FLOW, "Flow.kickoff_async", _flow_kickoff(handler)),
        (_FLOW, "Flow._execute_method", _flow_method(handler)),
        (_TASK, "Task._execute_core", _task_execute(handler)),
        (_TASK, "Task._aexecute_core", _task_execute(handler)),
        (_AGENT, "Agent.execute_task", _agent_execute(handler)),
        (_AGENT, "Agent.aexecute_task", _agent_execute(handler)),
        (_EXECUTOR, "AgentExecutor._execute_single_native_tool_call", _native_tool(handler)),
        (_EXECUTOR, "handle_max_iterations_exceeded", _max_iterations),
        (_BASE_LLM, "BaseLLM._emit_call_completed_event", _call_completed),
    ]
    for module, cls in _LLM_CLASSES:
        out.append((module, f"{cls}.call", _llm_call(handler)))
        out.append((module, f"{cls}.acall", _llm_call(handler)))
    return out
