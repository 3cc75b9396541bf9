"""Scopes: the crew, flow and agent spans that are current, and the tokens rolled up into them.

Each crew, flow and agent span has a :class:`Scope`; every model request adds its
tokens once to each enclosing scope, so a crew's span holds the sum of its requests
without double counting. ``run_scoped`` keeps a scope's span current exactly while
the wrapped call runs, in sync and async code alike.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from agentotel import _safety, semconv
from agentotel.instrumentation.crewai import extract
from agentotel.telemetry.invocation import AgentInvocation, InferenceInvocation


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


current: ContextVar[Scope | None] = ContextVar("agentotel_crewai_scope", default=None)
chat: ContextVar[InferenceInvocation | None] = ContextVar("agentotel_crewai_chat", default=None)


def run_scoped(
    start: Callable[[], Scope | None], wrapped: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """Run ``wrapped`` with the scope ``start`` opens current; sync or async alike."""
    if inspect.iscoroutinefunction(wrapped):
        return run_scoped_async(start, wrapped, args, kwargs)
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


async def run_scoped_async(
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
        return scope, current.set(scope)
    except Exception as exc:
        _safety.report("crewai.start", exc)
        return None, None


def _close(scope: Scope, token: Any, error: BaseException | None, result: Any = None) -> None:
    try:
        current.reset(token)
        inv = scope.invocation
        if error is None and inv.capture_content and inv.operation == semconv.OP_INVOKE_AGENT:
            inv.output_messages = extract.text_message("assistant", result)
        scope.end(error)
    except Exception as exc:
        _safety.report("crewai.end", exc)
