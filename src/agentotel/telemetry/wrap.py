"""The one wrapper skeleton every instrumentor and decorator runs on.

A wrapped call goes: begin (start an invocation from the request), enter (make its span
current), call the library, leave (restore the context), then finish (read the response,
end the span, maybe hand back a stream proxy) or fail (record the library's exception,
end the span). :func:`call_sync` / :func:`call_async` and their wrapt-signature forms
from :func:`wrapper` do exactly that once; instrumentors supply only the steps that
differ, as a :class:`Hooks` subclass, and extractors.

Every step of agentotel's own runs inside the guard: a fault in it is reported through
:mod:`agentotel._safety`, the span it started still ends exactly once (:func:`abandon`),
and the library's result or exception reaches the caller unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from opentelemetry import context as otel_context
from opentelemetry.trace import Span

from agentotel import _safety
from agentotel.telemetry.emitter import Emitter
from agentotel.telemetry.invocation import Invocation

C = TypeVar("C")
InvT = TypeVar("InvT", bound=Invocation)
F = TypeVar("F", bound=Callable[..., Any])

Wrapper = Callable[[Any, Any, tuple[Any, ...], dict[str, Any]], Any]


class guarded:
    """Contain agentotel's internal errors at ``site``: report them, never raise them.

    ``with guarded("langchain.tool_end"): ...`` swallows an ``Exception`` raised in the
    block after reporting it (re-raised under ``AGENTOTEL_STRICT=1``); as a decorator,
    ``@guarded("site")`` makes the function return ``None`` on an internal error.
    """

    __slots__ = ("site",)

    def __init__(self, site: str) -> None:
        self.site = site

    def __enter__(self) -> guarded:
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        if exc is None or not isinstance(exc, Exception):
            return False
        _safety.report(self.site, exc)
        return True

    def __call__(self, func: F) -> F:
        site = self.site

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except Exception as exc:
                _safety.report(site, exc)
                return None

        return run  # type: ignore[return-value]


def owned(
    cls: type[InvT], emitter: Emitter, operation: str, span: Span, metric_attrs: dict[str, Any]
) -> InvT:
    """A new invocation owning the started ``span``; if it cannot be built, the span ends."""
    try:
        return cls(emitter, operation, span, metric_attrs)
    except BaseException:
        span.end()
        raise


def abandon(inv: Invocation | None, error: BaseException | None = None) -> None:
    """End ``inv`` after an internal fault: detach it and end its span, whatever breaks.

    Tries the normal ending first (so the span keeps its data), then ends the bare span.
    Never raises.
    """
    if inv is None:
        return
    try:
        inv.detach()
    except Exception:
        # The context must not stay attached in the host: undo it through the API.
        token, inv._token = inv._token, None
        if token is not None:
            try:
                otel_context.detach(token)  # type: ignore[arg-type]
            except Exception:
                pass
    try:
        if error is None:
            inv.stop()
        else:
            inv.fail(error)
    except Exception:
        pass
    try:
        span = inv.span
        if span.is_recording():
            span.end()
    except Exception:
        pass


class Hooks(Generic[C]):
    """The steps of one wrapped method; the defaults suit a call whose state is an invocation.

    ``begin`` returns the call's state (``None``: call untraced); if it fails it must end
    what it started. ``finish`` returns what the caller gets: the result or a proxy of it.
    """

    site = "wrapper"

    def begin(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> C | None:
        raise NotImplementedError

    def enter(self, call: C) -> None:
        call.attach()  # type: ignore[attr-defined]

    def leave(self, call: C) -> None:
        call.detach()  # type: ignore[attr-defined]

    def fail(self, call: C, exc: BaseException) -> None:
        call.fail(exc)  # type: ignore[attr-defined]

    def finish(self, call: C, result: Any) -> Any:
        call.stop()  # type: ignore[attr-defined]
        return result

    def invocation(self, call: C) -> Invocation | None:
        """The invocation whose span ``call`` started, if any."""
        return call  # type: ignore[return-value]

    def abandon(self, call: C, error: BaseException | None = None) -> None:
        """After an internal fault: undo ``enter`` and end the span, whatever breaks."""
        try:
            self.leave(call)
        except Exception:
            pass
        abandon(self.invocation(call), error)


def _fault(hooks: Hooks[Any], call: Any, step: str, exc: Exception, error: Any = None) -> None:
    """An internal fault in ``step``: end what was started, then report (strict re-raises)."""
    try:
        hooks.abandon(call, error)
    except Exception:
        pass
    _safety.report(f"{hooks.site}.{step}", exc)


def _begin(hooks: Hooks[C], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        call = hooks.begin(instance, args, kwargs)
    except Exception as exc:
        _safety.report(f"{hooks.site}.begin", exc)
        return None
    if call is None:
        return None
    try:
        hooks.enter(call)
    except Exception as exc:
        _fault(hooks, call, "enter", exc)
        return None
    return call


def _failed(hooks: Hooks[C], call: C, error: BaseException) -> None:
    try:
        hooks.leave(call)
        hooks.fail(call, error)
    except Exception as exc:
        _fault(hooks, call, "fail", exc, error)


def _finished(hooks: Hooks[C], call: C, result: Any) -> Any:
    try:
        hooks.leave(call)
        return hooks.finish(call, result)
    except Exception as exc:
        _fault(hooks, call, "finish", exc)
        return result


def call_sync(hooks: Hooks[Any], wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    """Run ``wrapped(*args, **kwargs)`` as one traced call (see the module docstring)."""
    call = _begin(hooks, instance, args, kwargs)
    if call is None:
        return wrapped(*args, **kwargs)
    try:
        result = wrapped(*args, **kwargs)
    except BaseException as exc:
        _failed(hooks, call, exc)
        raise
    return _finished(hooks, call, result)


async def call_async(hooks: Hooks[Any], wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
    """:func:`call_sync` for a coroutine function."""
    call = _begin(hooks, instance, args, kwargs)
    if call is None:
        return await wrapped(*args, **kwargs)
    try:
        result = await wrapped(*args, **kwargs)
    except BaseException as exc:
        _failed(hooks, call, exc)
        raise
    return _finished(hooks, call, result)


def wrapper(hooks: Hooks[Any], is_async: bool) -> Wrapper:
    """A wrapt wrapper ``(wrapped, instance, args, kwargs)`` running ``hooks``."""
    return functools.partial(call_async if is_async else call_sync, hooks)
