"""A pydantic-ai capability that reports agent runs, model requests and tool calls.

pydantic-ai calls a capability's ``wrap_run`` around a whole run, ``wrap_model_request``
around each model request (a streamed one until its stream is consumed or abandoned)
and ``wrap_tool_execute`` around each tool call; its own instrumentation hooks in the
same way. This capability fills :class:`~agentotel.telemetry.TelemetryHandler`
invocations from those hooks; the handler builds the spans and metrics. Importing this
module imports pydantic-ai, so only :mod:`.patch` does, once pydantic-ai is loaded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import context as otel_context
from pydantic_ai import exceptions
from pydantic_ai.capabilities import AbstractCapability, CapabilityOrdering
from pydantic_ai.capabilities.abstract import (
    RawToolArgs,
    ValidatedToolArgs,
    WrapModelRequestHandler,
    WrapOutputProcessHandler,
    WrapRunHandler,
    WrapToolExecuteHandler,
)
from pydantic_ai.messages import ModelResponse, ToolCallPart
from pydantic_ai.models import ModelRequestContext
from pydantic_ai.output import OutputContext
from pydantic_ai.run import AgentRunResult
from pydantic_ai.tools import RunContext, ToolDefinition
from pydantic_core import ValidationError

from agentotel import _safety, semconv
from agentotel.instrumentation.pydantic_ai import extract, scope
from agentotel.telemetry import (
    AgentInvocation,
    InferenceInvocation,
    Invocation,
    TelemetryHandler,
    ToolInvocation,
)
from agentotel.telemetry.wrap import Hooks, call_async

# Raised by tools or hooks to steer the run rather than to report a failure.
_CONTROL_FLOW: tuple[type[BaseException], ...] = tuple(
    cls
    for name in ("CallDeferred", "ApprovalRequired", "SkipToolExecution")
    if isinstance(cls := getattr(exceptions, name, None), type)
)
_TOOL_RETRY: type[BaseException] | None = getattr(exceptions, "ToolRetryError", None)
_CANCELLED = (asyncio.CancelledError, GeneratorExit)


def _end(inv: Invocation, error: BaseException | None) -> None:
    """End ``inv``: a cancelled run or request is stopped, not failed, and says how it ended."""
    if error is None:
        inv.stop()
    elif isinstance(error, _CANCELLED):
        inv.set(semconv.AGENTOTEL_STREAM_ENDED_BY, "cancelled")
        inv.stop()
    else:
        inv.fail(_reported_error(error))


def _reported_error(error: BaseException) -> BaseException:
    """The exception the user raised: a tool's ``ModelRetry`` rather than pydantic-ai's wrapper."""
    if _TOOL_RETRY is not None and isinstance(error, _TOOL_RETRY):
        cause = error.__cause__
        if isinstance(cause, exceptions.ModelRetry):
            return cause
    return error


@dataclass
class AgentotelCapability(AbstractCapability[Any]):
    """Emits ``invoke_agent``, ``chat`` and ``execute_tool`` spans through agentotel's handler.

    One instance serves one run: the instrumentor adds a fresh one to every
    ``Agent.iter`` call, so the usage it sums belongs to that run alone (a delegate
    agent's run has its own instance and its own span).
    """

    telemetry: TelemetryHandler | None = field(default=None, repr=False, compare=False)
    id: str | None = field(default="agentotel", kw_only=True)
    _input_tokens: int | None = field(default=None, init=False, repr=False, compare=False)
    _output_tokens: int | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def get_serialization_name(cls) -> str | None:
        return None  # added by the instrumentor, never written in an agent spec

    def get_ordering(self) -> CapabilityOrdering:
        # Outermost: the agent span encloses every other capability's work, and the
        # chat span the whole request lifecycle, retries and fallbacks included.
        return CapabilityOrdering(position="outermost")

    # -- agent run -----------------------------------------------------------
    async def wrap_run(
        self, ctx: RunContext[Any], *, handler: WrapRunHandler
    ) -> AgentRunResult[Any]:
        inv = self._start_agent(ctx)
        if inv is None:
            return await handler()
        hooks = _Scoped("pydantic_ai.agent", inv, scope.nested_context, self._finish_agent)
        hooks.on_fail = self._fail_agent
        result: AgentRunResult[Any] = await call_async(hooks, handler, None, (), {})
        return result

    def _start_agent(self, ctx: RunContext[Any]) -> AgentInvocation | None:
        telemetry = self.telemetry
        if telemetry is None or getattr(ctx, "realtime", False) or scope.user_suppressed():
            return None
        try:
            agent = ctx.agent
            name = getattr(agent, "name", None)
            model = ctx.model
            inv = telemetry.agent(
                name if isinstance(name, str) and name else None,
                description=_description(agent, ctx.deps),
                provider=extract.provider_name(model),
                request_model=extract.model_name(model),
                conversation_id=getattr(ctx, "conversation_id", None),
            )
            if inv.capture_content:
                inv.input_messages = extract.prompt_messages(ctx.prompt)
            return inv
        except Exception as exc:
            _safety.report("pydantic_ai.agent", exc)
            return None

    def _finish_agent(self, inv: Any, result: AgentRunResult[Any]) -> None:
        self._add_usage(inv)
        if inv.capture_content:
            inv.output_messages = extract.result_messages(result.output)
        inv.stop()

    def _fail_agent(self, inv: Any, exc: BaseException) -> None:
        self._add_usage(inv)
        _end(inv, exc)

    def _add_usage(self, inv: AgentInvocation) -> None:
        inv.input_tokens = self._input_tokens
        inv.output_tokens = self._output_tokens

    # -- model request -------------------------------------------------------
    async def wrap_model_request(
        self,
        ctx: RunContext[Any],
        *,
        request_context: ModelRequestContext,
        handler: WrapModelRequestHandler,
    ) -> ModelResponse:
        inv = self._start_chat(request_context)
        if inv is None:
            return await handler(request_context)
        # The chat span is current, marked as the request's, in this task and in the
        # consumer task a streamed request is opened from; the model wrappers (.models)
        # then claim the model's SDK calls so the client instrumentors stand down.
        hooks = _Scoped("pydantic_ai.chat", inv, scope.request_context, self._finish_chat)
        response: ModelResponse = await call_async(hooks, handler, None, (request_context,), {})
        return response

    def _start_chat(self, request_context: ModelRequestContext) -> InferenceInvocation | None:
        telemetry = self.telemetry
        if telemetry is None or scope.user_suppressed():
            return None
        try:
            model = request_context.model
            host, port = extract.server(model)
            inv = telemetry.inference(
                extract.provider_name(model) or "unknown",
                extract.model_name(model),
                semconv.OP_CHAT,
                host,
                port,
                extract.request_attributes(request_context),
            )
            if inv.capture_content:
                inv.input_messages = extract.input_messages(request_context.messages)
                inv.system_instructions = extract.system_instructions(request_context)
                inv.tool_definitions = extract.tool_definitions(request_context)
            return inv
        except Exception as exc:
            _safety.report("pydantic_ai.chat", exc)
            return None

    def _finish_chat(self, inv: Any, response: ModelResponse) -> None:
        extract.fill_response(inv, response)
        if inv.input_tokens is not None:
            self._input_tokens = (self._input_tokens or 0) + inv.input_tokens
        if inv.output_tokens is not None:
            self._output_tokens = (self._output_tokens or 0) + inv.output_tokens
        if inv.capture_content:
            inv.output_messages = [extract.output_message(response)]
        inv.stop()

    # -- tools ---------------------------------------------------------------
    async def wrap_tool_execute(
        self,
        ctx: RunContext[Any],
        *,
        call: ToolCallPart,
        tool_def: ToolDefinition,
        args: ValidatedToolArgs,
        handler: WrapToolExecuteHandler,
    ) -> Any:
        inv = self._start_tool(call.tool_name, call, tool_def)
        if inv is None:
            return await handler(args)
        return await _run_tool(inv, lambda: handler(args))

    async def on_tool_validate_error(
        self,
        ctx: RunContext[Any],
        *,
        call: ToolCallPart,
        tool_def: ToolDefinition,
        args: RawToolArgs,
        error: ValidationError | exceptions.ModelRetry,
    ) -> ValidatedToolArgs:
        """A call whose arguments failed validation never runs; its span records why it failed."""
        inv = self._start_tool(call.tool_name, call, tool_def)
        if inv is not None:
            inv.fail(error)
        raise error

    async def wrap_output_process(
        self,
        ctx: RunContext[Any],
        *,
        output_context: OutputContext,
        output: Any,
        handler: WrapOutputProcessHandler,
    ) -> Any:
        """An output function is user code the model calls, so it is reported as a tool."""
        if not getattr(output_context, "has_function", False) or getattr(
            ctx, "partial_output", False
        ):
            return await handler(output)
        call = getattr(output_context, "tool_call", None)
        name = getattr(call, "tool_name", None) or getattr(output_context, "function_name", None)
        inv = self._start_tool(name or "output_function", call, None)
        if inv is None:
            return await handler(output)
        return await _run_tool(inv, lambda: handler(output))

    def _start_tool(
        self, name: str, call: ToolCallPart | None, tool_def: ToolDefinition | None
    ) -> ToolInvocation | None:
        telemetry = self.telemetry
        if telemetry is None or scope.user_suppressed():
            return None
        try:
            call_id = getattr(call, "tool_call_id", None)
            inv = telemetry.tool(
                name,
                call_id=call_id if isinstance(call_id, str) else None,
                description=getattr(tool_def, "description", None),
            )
            if inv.capture_content and call is not None:
                inv.arguments = extract.tool_arguments(call)
            return inv
        except Exception as exc:
            _safety.report("pydantic_ai.tool", exc)
            return None


class _Scoped(Hooks[Invocation]):
    """One hook's invocation, current in its own context while pydantic-ai's handler runs."""

    def __init__(
        self,
        site: str,
        inv: Invocation,
        context_of: Callable[[Any], Any],
        on_finish: Callable[[Any, Any], None],
    ) -> None:
        self.site = site
        self.inv = inv
        self.context_of = context_of
        self.on_finish = on_finish
        self.on_fail: Callable[[Any, BaseException], None] = _end
        self.token: Any = None

    def begin(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Invocation:
        return self.inv

    def enter(self, call: Invocation) -> None:
        self.token = otel_context.attach(self.context_of(call.span))

    def leave(self, call: Invocation) -> None:
        token, self.token = self.token, None
        if token is not None:
            otel_context.detach(token)

    def fail(self, call: Invocation, exc: BaseException) -> None:
        self.on_fail(call, exc)

    def finish(self, call: Invocation, result: Any) -> Any:
        self.on_finish(call, result)
        return result


def _finish_tool(inv: ToolInvocation, result: Any) -> None:
    if inv.capture_content:
        inv.result = result
    inv.stop()


def _fail_tool(inv: ToolInvocation, exc: BaseException) -> None:
    if isinstance(exc, _CONTROL_FLOW):
        # Steering the run (a retry, a deferred call), not a failure of the tool.
        if inv.capture_content and hasattr(exc, "result"):
            inv.result = exc.result
        inv.stop()
    else:
        _end(inv, exc)


async def _run_tool(inv: ToolInvocation, run: Any) -> Any:
    hooks = _Scoped("pydantic_ai.tool", inv, scope.nested_context, _finish_tool)
    hooks.on_fail = _fail_tool
    return await call_async(hooks, run, None, (), {})


def _description(agent: Any, deps: Any) -> str | None:
    render = getattr(agent, "render_description", None)
    try:
        text = render(deps) if callable(render) else getattr(agent, "description", None)
    except Exception:
        return None
    return text if isinstance(text, str) and text else None
