"""Decorators and context managers for hand-written agents: agent, tool, workflow and step spans.

Each works on sync and async functions, generators and async generators, as
``@agentotel.tool``, ``@agentotel.tool(name=...)`` or ``with agentotel.tool(name=...)``.
Spans come from one module-level :class:`~agentotel.telemetry.TelemetryHandler` built on
the providers and settings of :func:`agentotel.instrument` (or the global providers and
the environment when it has not run). Arguments and results are recorded only with
content capture on. Exceptions are recorded and re-raised unchanged.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import threading
from collections.abc import AsyncGenerator, Callable, Generator, Iterator, Mapping
from contextvars import ContextVar, Token
from typing import Any, TypeVar, cast, overload

import wrapt
from opentelemetry import context as otel_context
from opentelemetry import trace

from agentotel import _safety, semconv
from agentotel.telemetry import AgentInvocation, Invocation, TelemetryHandler, ToolInvocation
from agentotel.telemetry.content import dumps, json_safe
from agentotel.telemetry.wrap import Hooks, call_async, call_sync

__all__ = [
    "agent",
    "set_agent_id",
    "set_attributes",
    "set_conversation_id",
    "step",
    "tool",
    "tool_call",
    "workflow",
]

F = TypeVar("F", bound=Callable[..., Any])

TOOL_CALL_ID_KWARG = "tool_call_id"
_MAX_COLLECTED_ITEMS = 256

# -- the module-level handler ---------------------------------------------------------------

_handler_lock = threading.Lock()
_handler_cache: tuple[object, TelemetryHandler] | None = None
_NOT_INSTRUMENTED = object()


def _current_setup() -> Any:
    try:
        from agentotel import _setup

        return _setup.current()
    except Exception:  # pragma: no cover - only when the setup module is broken
        return None


def handler() -> TelemetryHandler:
    """The handler decorators use: rebuilt whenever :func:`agentotel.instrument` state changes."""
    global _handler_cache
    setup = _current_setup()
    key = setup if setup is not None else _NOT_INSTRUMENTED
    cached = _handler_cache
    if cached is not None and cached[0] is key:
        return cached[1]
    with _handler_lock:
        cached = _handler_cache
        if cached is not None and cached[0] is key:
            return cached[1]
        if setup is None:
            built = TelemetryHandler()
        else:
            built = TelemetryHandler(
                tracer_provider=setup.tracer_provider,
                meter_provider=setup.meter_provider,
                settings=setup.settings,
            )
        _handler_cache = (key, built)
        return built


# -- tool call ids ----------------------------------------------------------------------------

_pending_call_id: ContextVar[list[str | None] | None] = ContextVar(
    "agentotel_pending_tool_call_id", default=None
)


@contextlib.contextmanager
def tool_call(call_id: str | None) -> Iterator[None]:
    """Give the next ``@agentotel.tool`` started in this block the model's tool call id.

    The id links the tool's ``execute_tool`` span to the model call that requested it.
    Only the first tool span started inside the block takes the id.
    """
    token = _pending_call_id.set([call_id])
    try:
        yield
    finally:
        _pending_call_id.reset(token)


def _take_pending_call_id() -> str | None:
    holder = _pending_call_id.get()
    if not holder or holder[0] is None:
        return None
    call_id, holder[0] = holder[0], None
    return call_id


# -- annotating the current span ------------------------------------------------------------


def _attribute_value(value: Any) -> Any:
    if isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)) and value:
        first = type(value[0])
        if first in (str, bool, int, float) and all(type(v) is first for v in value):
            return tuple(value)
    return dumps(json_safe(value))


def set_attributes(attributes: Mapping[str, Any] | None = None, /, **kwargs: Any) -> None:
    """Set attributes on the current span without importing OpenTelemetry.

    Pass a mapping for dotted names (``{"app.user.tier": "pro"}``) or keywords. Values that
    are not strings, numbers, booleans or uniform lists are stored as JSON. ``None`` skips.
    """
    try:
        span = trace.get_current_span()
        if not span.is_recording():
            return
        merged = dict(attributes or {})
        merged.update(kwargs)
        span.set_attributes({k: _attribute_value(v) for k, v in merged.items() if v is not None})
    except Exception as exc:
        _safety.report("decorators.set_attributes", exc)


def set_conversation_id(conversation_id: str) -> None:
    """Record ``gen_ai.conversation.id`` on the current span (e.g. inside an ``@agent``)."""
    set_attributes({semconv.GEN_AI_CONVERSATION_ID: conversation_id})


def set_agent_id(agent_id: str) -> None:
    """Record ``gen_ai.agent.id`` on the current span."""
    set_attributes({semconv.GEN_AI_AGENT_ID: agent_id})


# -- what a decorator records ---------------------------------------------------------------


def _signature(func: Callable[..., Any]) -> inspect.Signature | None:
    try:
        return inspect.signature(func)
    except (TypeError, ValueError):
        return None


def _bound_arguments(
    sig: inspect.Signature | None, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    """The call's arguments by parameter name (``self``/``cls`` left out)."""
    if sig is None:
        out: dict[str, Any] = {f"arg{i}": v for i, v in enumerate(args)}
        out.update(kwargs)
        return out
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError:
        return {"args": list(args), "kwargs": dict(kwargs)}
    bound.apply_defaults()
    params = sig.parameters
    first = next(iter(params), None)
    out = {}
    for name, value in bound.arguments.items():
        if name == first and name in ("self", "cls"):
            continue
        if params[name].kind is inspect.Parameter.VAR_KEYWORD:
            out.update(value)
        else:
            out[name] = value
    return out


def _text_of(value: Any) -> str:
    return value if isinstance(value, str) else dumps(json_safe(value))


def _input_messages(arguments: dict[str, Any]) -> list[dict[str, Any]]:
    values = list(arguments.values())
    text = values[0] if len(values) == 1 and isinstance(values[0], str) else _text_of(arguments)
    return [{"role": "user", "parts": [{"type": semconv.PART_TEXT, "content": text}]}]


def _output_messages(result: Any) -> list[dict[str, Any]]:
    return [
        {
            "role": "assistant",
            "parts": [{"type": semconv.PART_TEXT, "content": _text_of(result)}],
            "finish_reason": semconv.FINISH_STOP,
        }
    ]


class _Spec:
    """What to start for one decorated function or ``with`` block; subclasses pick the span."""

    kind = ""

    def __init__(
        self, name: str | None, attributes: Mapping[str, Any] | None, **options: Any
    ) -> None:
        self.name = name
        self.attributes = dict(attributes) if attributes else None
        # Keyword arguments for the handler method that starts the span.
        self.options = options
        # ``with`` blocks of this spec entered and not yet exited, in any task or thread.
        self._open: list[_Entry] = []

    # Subclasses: start the invocation, with the call's arguments when content is on.
    def _start(self, name: str, call_id: str | None) -> Invocation:
        raise NotImplementedError

    def _record_arguments(self, inv: Invocation, arguments: dict[str, Any]) -> None:
        return None

    def _record_result(self, inv: Invocation, result: Any) -> None:
        return None

    def start(
        self,
        name: str,
        sig: inspect.Signature | None,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        call_id: str | None,
    ) -> Invocation | None:
        """Start the span; ``None`` (and the call runs untraced) if telemetry fails."""
        try:
            inv = self._start(name, call_id)
            if inv.capture_content:
                self._record_arguments(inv, _bound_arguments(sig, args, kwargs))
            return inv
        except Exception as exc:
            _safety.report(f"decorators.{self.kind}.start", exc)
            return None

    def finish(self, inv: Invocation, result: Any) -> None:
        try:
            if inv.capture_content:
                self._record_result(inv, result)
        except Exception as exc:
            _safety.report(f"decorators.{self.kind}.finish", exc)
        inv.stop()

    # -- decorator ---------------------------------------------------------------------
    def __call__(self, func: F) -> F:
        return cast(F, _decorate(self, func))

    # -- context manager ---------------------------------------------------------------
    def __enter__(self) -> Any:
        inv = self.start(self.name or self.kind, None, (), {}, None)
        entry = _Entry(self, inv)
        entry.token = _active.set((*_active.get(), entry))
        self._open.append(entry)
        if inv is None:
            return _Untraced()
        inv.attach()
        return inv

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        entry, here = self._take_entry()
        inv = entry.inv if entry is not None else None
        if inv is None:
            return
        if here:
            inv.detach()
        if exc is not None:
            inv.fail(exc)
        else:
            inv.stop()

    async def __aenter__(self) -> Any:
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.__exit__(exc_type, exc, tb)

    def _take_entry(self) -> tuple[_Entry | None, bool]:
        """The ``with`` block of this spec that is exiting, and whether it was entered here.

        The innermost block of this spec in the current task or thread is the one exiting,
        so one spec object can be shared by concurrent tasks and nested in itself. A block
        entered in another context (a generator closed from another task) is found among
        the spec's open blocks when that is unambiguous; its span ends without detaching,
        since its context token belongs to the other context.
        """
        stack = _active.get()
        entry: _Entry | None = None
        here = False
        for i in range(len(stack) - 1, -1, -1):
            if stack[i].spec is self:
                entry = stack[i]
                if entry.token is not None:
                    try:
                        _active.reset(entry.token)
                        here = True
                    except (ValueError, RuntimeError):
                        # Entered in the context this one was copied from.
                        pass
                _active.set(stack[:i] + stack[i + 1 :])
                break
        # No lock: list append/remove are atomic, and a lock here could be re-entered by a
        # generator that garbage collection closes while it is held.
        if entry is None:
            open_blocks = self._open[:]
            if len(open_blocks) != 1:
                return None, False
            entry = open_blocks[0]
        try:
            self._open.remove(entry)
        except ValueError:
            pass  # already taken by an exit in a copied context
        return entry, here


class _Entry:
    """One ``with`` block of a spec: its invocation (``None`` when untraced) and stack token."""

    __slots__ = ("inv", "spec", "token")

    def __init__(self, spec: _Spec, inv: Invocation | None) -> None:
        self.spec = spec
        self.inv = inv
        self.token: Token[tuple[_Entry, ...]] | None = None


# The ``with`` blocks open in this task or thread, innermost last.
_active: ContextVar[tuple[_Entry, ...]] = ContextVar("agentotel_active_blocks", default=())


class _Untraced:
    """What ``with`` hands out when telemetry could not start: accepts the same calls, records nothing."""

    def set(self, key: str, value: Any) -> None:
        return None


class _AgentSpec(_Spec):
    kind = "agent"

    def _start(self, name: str, call_id: str | None) -> Invocation:
        return handler().agent(name, attributes=self.attributes, **self.options)

    def _record_arguments(self, inv: Invocation, arguments: dict[str, Any]) -> None:
        if isinstance(inv, AgentInvocation) and arguments:
            inv.input_messages = _input_messages(arguments)

    def _record_result(self, inv: Invocation, result: Any) -> None:
        if isinstance(inv, AgentInvocation) and result is not None:
            inv.output_messages = _output_messages(result)


class _WorkflowSpec(_AgentSpec):
    kind = "workflow"

    def _start(self, name: str, call_id: str | None) -> Invocation:
        return handler().workflow(name, attributes=self.attributes)


class _ToolSpec(_Spec):
    kind = "tool"

    def _start(self, name: str, call_id: str | None) -> Invocation:
        options = self.options
        return handler().tool(
            name,
            call_id=call_id or options["call_id"] or _take_pending_call_id(),
            description=options["description"],
            tool_type=options["tool_type"],
            attributes=self.attributes,
        )

    def _record_arguments(self, inv: Invocation, arguments: dict[str, Any]) -> None:
        if isinstance(inv, ToolInvocation):
            inv.arguments = arguments

    def _record_result(self, inv: Invocation, result: Any) -> None:
        if isinstance(inv, ToolInvocation):
            inv.result = result


class _StepSpec(_Spec):
    kind = "step"

    def _start(self, name: str, call_id: str | None) -> Invocation:
        return handler().step(name, attributes=self.attributes)


# -- wrapping the four kinds of function ----------------------------------------------------


def _first_doc_line(func: Callable[..., Any]) -> str | None:
    doc = inspect.getdoc(func)
    if not doc:
        return None
    return doc.strip().splitlines()[0].strip() or None


def _decorate(spec: _Spec, func: Callable[..., Any]) -> Callable[..., Any]:
    name = spec.name or getattr(func, "__name__", None) or spec.kind
    sig = _signature(func)
    takes_call_id = sig is not None and (
        TOOL_CALL_ID_KWARG in sig.parameters
        or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values())
    )
    if isinstance(spec, _ToolSpec) and spec.options["description"] is None:
        spec.options["description"] = _first_doc_line(func)
    is_tool = isinstance(spec, _ToolSpec)

    def call_id_of(kwargs: dict[str, Any]) -> str | None:
        if not is_tool or TOOL_CALL_ID_KWARG not in kwargs:
            return None
        value = kwargs[TOOL_CALL_ID_KWARG] if takes_call_id else kwargs.pop(TOOL_CALL_ID_KWARG)
        return value if isinstance(value, str) else None

    def begin(
        args: tuple[Any, ...], kwargs: dict[str, Any], call_id: str | None
    ) -> Invocation | None:
        return spec.start(name, sig, args, kwargs, call_id)

    if inspect.isasyncgenfunction(func):
        return _wrap_async_generator(func, name, spec, begin, call_id_of)
    if inspect.isgeneratorfunction(func):
        return _wrap_generator(func, name, spec, begin, call_id_of)
    if inspect.iscoroutinefunction(func):
        return _wrap_coroutine(func, spec, begin, call_id_of)
    return _wrap_function(func, spec, begin, call_id_of)


Begin = Callable[[tuple[Any, ...], dict[str, Any], "str | None"], "Invocation | None"]
CallIdOf = Callable[[dict[str, Any]], "str | None"]


class _SpecHooks(Hooks[Invocation]):
    """A decorated plain or coroutine function on the shared wrapper skeleton."""

    def __init__(self, spec: _Spec, begin: Begin, call_id_of: CallIdOf) -> None:
        self.spec = spec
        self._begin = begin
        self._call_id_of = call_id_of
        self.site = f"decorators.{spec.kind}"

    def begin(
        self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Invocation | None:
        return self._begin(args, kwargs, self._call_id_of(kwargs))

    def finish(self, inv: Invocation, result: Any) -> Any:
        self.spec.finish(inv, result)
        return result


def _wrap_function(
    func: Callable[..., Any], spec: _Spec, begin: Begin, call_id_of: CallIdOf
) -> Callable[..., Any]:
    hooks = _SpecHooks(spec, begin, call_id_of)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return call_sync(hooks, func, None, args, kwargs)

    return wrapper


def _wrap_coroutine(
    func: Callable[..., Any], spec: _Spec, begin: Begin, call_id_of: CallIdOf
) -> Callable[..., Any]:
    hooks = _SpecHooks(spec, begin, call_id_of)

    @functools.wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        return await call_async(hooks, func, None, args, kwargs)

    return wrapper


class _GeneratorFunction(wrapt.FunctionWrapper):  # type: ignore[misc,type-arg]
    """The decorated form of a generator or async generator function.

    A wrapt ``FunctionWrapper``: calling it creates the generator at once (wrong arguments
    raise ``TypeError`` at call time, as without the decorator), it binds as a method, and
    it forwards ``__code__`` and the other function attributes, so
    ``isgeneratorfunction``/``isasyncgenfunction`` answer as for the original.
    """

    def __reduce_ex__(self, protocol: Any) -> str:
        # Pickle by reference, as for a plain function.
        return str(self.__qualname__)

    def __copy__(self) -> _GeneratorFunction:
        return self  # a function is copied by reference

    def __deepcopy__(self, memo: Any) -> _GeneratorFunction:
        return self

    def __repr__(self) -> str:
        return f"<traced function {self.__qualname__}>"


def _as_generator_function(
    func: Callable[..., Any], name: str, call: Callable[..., Any]
) -> Callable[..., Any]:
    def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        # Bound as a method, wrapt hands the instance apart: the call gets it back first,
        # so the recorded arguments and the function see what an undecorated call sees.
        if instance is not None and wrapped is not func:
            return call(instance, *args, **kwargs)
        return call(*args, **kwargs)

    return cast(Callable[..., Any], _GeneratorFunction(func, wrapper))


class _Collector:
    """Keeps yielded items for the recorded result, only when content capture is on."""

    __slots__ = ("items",)

    def __init__(self, inv: Invocation) -> None:
        self.items: list[Any] | None = [] if inv.capture_content else None

    def add(self, item: Any) -> None:
        items = self.items
        if items is not None and len(items) < _MAX_COLLECTED_ITEMS:
            items.append(item)


def _end_closed(inv: Invocation) -> None:
    inv.set(semconv.AGENTOTEL_STREAM_ENDED_BY, "closed")
    inv.stop()


def _wrap_generator(
    func: Callable[..., Any], name: str, spec: _Spec, begin: Begin, call_id_of: CallIdOf
) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
        call_id = call_id_of(kwargs)
        gen = func(*args, **kwargs)
        return _traced_generator(gen, spec, functools.partial(begin, args, kwargs, call_id))

    return _as_generator_function(func, name, call)


def _traced_generator(
    gen: Generator[Any, Any, Any], spec: _Spec, begin: Callable[[], Invocation | None]
) -> Generator[Any, Any, Any]:
    # The span starts at the first next() and is current only while the wrapped generator
    # runs (between one resume and the next yield), so no context stays attached while the
    # caller holds the generator.
    inv = begin()
    if inv is None:
        return (yield from gen)
    span_ctx = trace.set_span_in_context(inv.span)
    collected = _Collector(inv)
    to_send: Any = None
    to_throw: BaseException | None = None
    try:
        while True:
            token = otel_context.attach(span_ctx)
            try:
                item = gen.throw(to_throw) if to_throw is not None else gen.send(to_send)
            finally:
                otel_context.detach(token)
            to_throw = None
            collected.add(item)
            try:
                to_send = yield item
            except GeneratorExit:
                raise
            except BaseException as exc:
                to_throw = exc
    except StopIteration as stop:
        spec.finish(inv, collected.items if stop.value is None else stop.value)
        return stop.value
    except GeneratorExit:
        token = otel_context.attach(span_ctx)
        try:
            gen.close()
        except BaseException as exc:
            inv.fail(exc)
            raise
        finally:
            otel_context.detach(token)
        _end_closed(inv)
        raise
    except BaseException as exc:
        inv.fail(exc)
        raise


def _wrap_async_generator(
    func: Callable[..., Any], name: str, spec: _Spec, begin: Begin, call_id_of: CallIdOf
) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
        call_id = call_id_of(kwargs)
        agen = func(*args, **kwargs)
        return _traced_async_generator(agen, spec, functools.partial(begin, args, kwargs, call_id))

    return _as_generator_function(func, name, call)


async def _traced_async_generator(
    agen: AsyncGenerator[Any, Any], spec: _Spec, begin: Callable[[], Invocation | None]
) -> AsyncGenerator[Any, Any]:
    inv = begin()
    if inv is None:
        async for item in _forward(agen):
            yield item
        return
    span_ctx = trace.set_span_in_context(inv.span)
    collected = _Collector(inv)
    to_send: Any = None
    to_throw: BaseException | None = None
    try:
        while True:
            token = otel_context.attach(span_ctx)
            try:
                if to_throw is not None:
                    item = await agen.athrow(to_throw)
                else:
                    item = await agen.asend(to_send)
            finally:
                otel_context.detach(token)
            to_throw = None
            collected.add(item)
            try:
                to_send = yield item
            except GeneratorExit:
                raise
            except BaseException as exc:
                to_throw = exc
    except StopAsyncIteration:
        spec.finish(inv, collected.items)
        return
    except GeneratorExit:
        token = otel_context.attach(span_ctx)
        try:
            await agen.aclose()
        except BaseException as exc:
            inv.fail(exc)
            raise
        finally:
            otel_context.detach(token)
        _end_closed(inv)
        raise
    except BaseException as exc:
        inv.fail(exc)
        raise


async def _forward(agen: Any) -> AsyncGenerator[Any, Any]:
    """Pass ``asend``/``athrow``/``aclose`` through when telemetry could not start."""
    to_send: Any = None
    to_throw: BaseException | None = None
    while True:
        try:
            if to_throw is not None:
                item = await agen.athrow(to_throw)
            else:
                item = await agen.asend(to_send)
        except StopAsyncIteration:
            return
        to_throw = None
        try:
            to_send = yield item
        except GeneratorExit:
            await agen.aclose()
            raise
        except BaseException as exc:
            to_throw = exc


# -- the public factories ------------------------------------------------------------------


@overload
def agent(func: F, /) -> F: ...


@overload
def agent(
    *,
    name: str | None = None,
    agent_id: str | None = None,
    description: str | None = None,
    version: str | None = None,
    provider: str | None = None,
    model: str | None = None,
    conversation_id: str | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> _Spec: ...


def agent(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    agent_id: str | None = None,
    description: str | None = None,
    version: str | None = None,
    provider: str | None = None,
    model: str | None = None,
    conversation_id: str | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Any:
    """Trace a function (or ``with`` block) as an agent run: an ``invoke_agent {name}`` span.

    With content capture on, the arguments become the input message and the return value
    the output message. ``name`` defaults to the function's name.
    """
    spec = _AgentSpec(
        name,
        attributes,
        agent_id=agent_id,
        description=description,
        version=version,
        provider=provider,
        request_model=model,
        conversation_id=conversation_id,
    )
    return spec(func) if func is not None else spec


@overload
def tool(func: F, /) -> F: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    tool_type: str | None = semconv.TOOL_TYPE_FUNCTION,
    call_id: str | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> _Spec: ...


def tool(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    tool_type: str | None = semconv.TOOL_TYPE_FUNCTION,
    call_id: str | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Any:
    """Trace a function (or ``with`` block) as a tool execution: an ``execute_tool {name}`` span.

    ``description`` defaults to the docstring's first line. Give the model's tool call id to
    link the span to the model call that asked for it: as a ``tool_call_id=`` keyword at
    call time (removed before the call unless the function takes it), with
    :func:`tool_call`, or as ``call_id=`` in a ``with`` block.
    """
    spec = _ToolSpec(
        name, attributes, description=description, tool_type=tool_type, call_id=call_id
    )
    return spec(func) if func is not None else spec


@overload
def workflow(func: F, /) -> F: ...


@overload
def workflow(*, name: str | None = None, attributes: Mapping[str, Any] | None = None) -> _Spec: ...


def workflow(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> Any:
    """Trace a function (or ``with`` block) as an ``invoke_workflow {name}`` span."""
    spec = _WorkflowSpec(name, attributes)
    return spec(func) if func is not None else spec


@overload
def step(name: F, /) -> F: ...


@overload
def step(name: str, /, *, attributes: Mapping[str, Any] | None = None) -> _Spec: ...


def step(name: Any, /, *, attributes: Mapping[str, Any] | None = None) -> Any:
    """An orchestration step (a retry, a decision, a plan): ``with agentotel.step("plan"):``.

    Also a decorator: ``@agentotel.step("plan")`` or bare ``@agentotel.step``. The span is
    INTERNAL, named ``name``, with ``agentotel.step.name``; it records no content.
    """
    if callable(name):
        return _StepSpec(None, attributes)(name)
    return _StepSpec(str(name), attributes)
