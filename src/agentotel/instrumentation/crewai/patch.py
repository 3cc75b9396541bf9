"""Wrappers around CrewAI: crews and flows, agents on tasks, tool calls and model requests.

Patching, not CrewAI's event bus: the bus hands events to handlers on a thread pool
and does not run them in the caller's context, so spans opened from events could not
become the current span for the model and tool calls beneath them. Wrapping the
methods keeps every span current exactly while its work runs, in sync and async code.

Token usage rolls up through :class:`Scope`: each crew, flow and agent span has
one, and every model request adds its tokens once to each enclosing scope.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from agentotel import _safety, semconv
from agentotel.instrumentation._owner import claim_sdk_call, release_sdk_call
from agentotel.instrumentation.crewai import extract
from agentotel.telemetry import TelemetryHandler
from agentotel.telemetry.invocation import AgentInvocation, InferenceInvocation, Invocation

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


class Scope:
    """A crew, flow or agent span and the tokens of the model requests made beneath it."""

    __slots__ = (
        "agent",
        "error_type",
        "input_tokens",
        "invocation",
        "output_tokens",
        "owner",
        "parent",
        "task",
    )

    def __init__(
        self,
        invocation: AgentInvocation,
        parent: Scope | None,
        agent: Any = None,
        task: Any = None,
        owner: Any = None,
    ) -> None:
        self.invocation = invocation
        self.parent = parent
        self.owner = owner
        self.agent = agent
        self.task = task
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.error_type: str | None = None

    def add(self, input_tokens: int | None, output_tokens: int | None) -> None:
        scope: Scope | None = self
        while scope is not None:
            if input_tokens is not None:
                scope.input_tokens = (scope.input_tokens or 0) + input_tokens
            if output_tokens is not None:
                scope.output_tokens = (scope.output_tokens or 0) + output_tokens
            scope = scope.parent

    def end(self, error: BaseException | None) -> None:
        inv = self.invocation
        inv.input_tokens = self.input_tokens
        inv.output_tokens = self.output_tokens
        inv.detach()
        if error is not None:
            inv.fail(error)
        elif self.error_type is not None:
            inv.fail(self.error_type)
        else:
            inv.stop()


_scope: ContextVar[Scope | None] = ContextVar("agentotel_crewai_scope", default=None)
_chat: ContextVar[InferenceInvocation | None] = ContextVar("agentotel_crewai_chat", default=None)


def _run_scoped(
    start: Callable[[], Scope | None], wrapped: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """Run ``wrapped`` with the scope ``start`` opens current; sync or async alike."""
    if inspect.iscoroutinefunction(wrapped):
        return _run_scoped_async(start, wrapped, args, kwargs)
    scope, token = _open(start)
    if scope is None:
        return wrapped(*args, **kwargs)
    try:
        result = wrapped(*args, **kwargs)
    except BaseException as exc:
        _close(scope, token, exc)
        raise
    _close(scope, token, None, result)
    return result


async def _run_scoped_async(
    start: Callable[[], Scope | None], wrapped: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    scope, token = _open(start)
    if scope is None:
        return await wrapped(*args, **kwargs)
    try:
        result = await wrapped(*args, **kwargs)
    except BaseException as exc:
        _close(scope, token, exc)
        raise
    _close(scope, token, None, result)
    return result


def _open(start: Callable[[], Scope | None]) -> tuple[Scope | None, Any]:
    try:
        scope = start()
        if scope is None:
            return None, None
        scope.invocation.attach()
        return scope, _scope.set(scope)
    except Exception as exc:
        _safety.report("crewai.start", exc)
        return None, None


def _close(scope: Scope, token: Any, error: BaseException | None, result: Any = None) -> None:
    try:
        _scope.reset(token)
        inv = scope.invocation
        if error is None and inv.capture_content and inv.operation == semconv.OP_INVOKE_AGENT:
            inv.output_messages = extract.text_message("assistant", result)
        scope.end(error)
    except Exception as exc:
        _safety.report("crewai.end", exc)


# -- crews and flows ---------------------------------------------------------
def _crew_kickoff(handler: TelemetryHandler) -> Wrapper:
    def start(crew: Any) -> Scope | None:
        if getattr(crew, "stream", False):
            return None  # the streaming kickoff re-enters kickoff without streaming
        inv = handler.workflow(extract.crew_name(crew))
        return Scope(inv, _scope.get())

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return _run_scoped(lambda: start(instance), wrapped, args, kwargs)

    return wrapper


def _flow_kickoff(handler: TelemetryHandler) -> Wrapper:
    def start(flow: Any) -> Scope | None:
        if getattr(flow, "stream", False) or extract.internal_flow(flow):
            return None  # CrewAI runs each agent's loop as a flow of its own: not a workflow
        return Scope(handler.workflow(extract.flow_name(flow)), _scope.get(), owner=flow)

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return _run_scoped(lambda: start(instance), wrapped, args, kwargs)

    return wrapper


def _flow_method(handler: TelemetryHandler) -> Wrapper:
    async def wrapper(
        wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        step: Invocation | None = None
        scope = _scope.get()
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
    return Scope(inv, _scope.get(), agent, task)


def _task_execute(handler: TelemetryHandler) -> Wrapper:
    """``Task._execute_core``: the agent working on a task, guardrails included."""

    def start(task: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None:
        agent = extract.arg(args, kwargs, 0, "agent") or getattr(task, "agent", None)
        if agent is None:
            return None
        return _agent_scope(handler, agent, task)

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return _run_scoped(lambda: start(instance, args, kwargs), wrapped, args, kwargs)

    return wrapper


def _agent_execute(handler: TelemetryHandler) -> Wrapper:
    """``Agent.execute_task`` outside a task span: delegation and direct calls."""

    def start(agent: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Scope | None:
        task = extract.arg(args, kwargs, 0, "task")
        current = _scope.get()
        if current is not None and current.agent is agent and current.task is task:
            return None  # the task's span already reports this run
        return _agent_scope(handler, agent, task)

    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return _run_scoped(lambda: start(instance, args, kwargs), wrapped, args, kwargs)

    return wrapper


def _max_iterations(
    wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """CrewAI forces a final answer when an agent runs out of iterations: mark its span."""
    scope = _scope.get()
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
    if _chat.get() is not None:
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
    scope = _scope.get()
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
        chat_token = _chat.set(inv)
        claim = claim_sdk_call()
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as exc:
            release_sdk_call(claim)
            _chat.reset(chat_token)
            _end_chat(inv, exc)
            raise
        release_sdk_call(claim)
        _chat.reset(chat_token)
        _end_chat(inv, None)
        return result

    async def _acall(
        wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        inv = _start_chat(handler, instance)
        if inv is None:
            return await wrapped(*args, **kwargs)
        chat_token = _chat.set(inv)
        claim = claim_sdk_call()
        try:
            result = await wrapped(*args, **kwargs)
        except BaseException as exc:
            release_sdk_call(claim)
            _chat.reset(chat_token)
            _end_chat(inv, exc)
            raise
        release_sdk_call(claim)
        _chat.reset(chat_token)
        _end_chat(inv, None)
        return result

    return wrapper


def _call_completed(
    wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """CrewAI reports each answered request with usage, finish reason and response id."""
    inv = _chat.get()
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
