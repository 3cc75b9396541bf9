"""A lean span path for tracer providers agentotel builds itself.

The SDK's ``Tracer.start_span`` and ``Span`` are general: every attribute value
is validated element by element (twice: at start and again on
``set_attributes``, each under a lock), a ``BoundedAttributes`` mapping, two
``BoundedList`` containers, a lock and a copy of the span for ``on_end`` are
built per span, and the sampler is called through several layers even when it
is the default. That is the largest part of what a model call's span costs.

When ``agentotel.instrument()`` creates the tracer provider, it creates a
:class:`FastTracerProvider`: an SDK ``TracerProvider`` whose public
``get_tracer`` returns a :class:`FastTracer` that keeps the SDK's behaviour
(sampler, id generator, resource, span limits, tracer configurator, every span
processor, in order) with less work. :class:`FastSpan` is an SDK ``Span`` (and
so a ``ReadableSpan`` for processors and exporters) whose attributes live in a
plain dict once their values are known to be valid, whose event and link lists
are created only when used, and which is handed to the processors itself at
``end()``. Values that are not plain attribute values, or more attributes than
the limit allows, take the SDK's own cleaning and bounding. Providers the
application supplies (plain ``TracerProvider``) keep the SDK's tracer, and
``AGENTOTEL_FAST_PATH=0`` makes ``instrument()`` build a plain one.

The tracer reads some SDK internals (``_tracer_config``, ``_on_ending``,
``_span_processors``, the SpanContext tuple layout): the supported SDK range in
pyproject.toml is the one CI tests, oldest and newest, with the whole suite on
both span paths.
"""

from __future__ import annotations

import logging
import random
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from time import time_ns
from typing import Any

from opentelemetry import context as context_api
from opentelemetry import trace as trace_api
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import (
    Event,
    Span,
    SpanProcessor,
    SynchronousMultiSpanProcessor,
    Tracer,
    TracerProvider,
)
from opentelemetry.sdk.trace import sampling as sdk_sampling
from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator
from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags
from opentelemetry.trace.propagation import _SPAN_KEY
from opentelemetry.trace.span import DEFAULT_TRACE_STATE
from opentelemetry.trace.status import Status, StatusCode
from opentelemetry.util import types

from agentotel.telemetry import context as _context

try:
    # The SDK's own decorator: as a decorator of a coroutine function it keeps the span
    # current while the coroutine runs (contextlib's would end the span at the first await).
    from opentelemetry.util._decorator import _agnosticcontextmanager as _contextmanager
except ImportError:  # pragma: no cover - an API release moved it
    _contextmanager = contextmanager  # type: ignore[assignment]

_log = logging.getLogger("agentotel")

_UNSET_STATUS = Status(StatusCode.UNSET)
_getrandbits = random.getrandbits
# TraceFlags are int subclasses: build the four combinations once.
_FLAGS = tuple(TraceFlags(i) for i in range(4))
# SpanProcessor._on_ending (called as a span ends, before on_end) arrived after SDK 1.39:
# where it is missing there is nothing to call (None stands for "no hook").
_NO_OP_HOOKS = (SpanProcessor.on_start, getattr(SpanProcessor, "_on_ending", None), None)
# The W3C "random trace id" flag, set by SDKs whose id generators declare it (1.40 on).
_RANDOM_FLAG = 2 if hasattr(IdGenerator, "is_trace_id_random") else 0
_SAMPLE = sdk_sampling.Decision.RECORD_AND_SAMPLE
_DROP = sdk_sampling.Decision.DROP


_new_tuple = tuple.__new__
_new_object = object.__new__


def _layout_ok() -> bool:
    """Whether a SpanContext is the tuple (trace_id, span_id, is_remote, flags, state, valid).

    Ids come from ``getrandbits`` and are checked non-zero, so SpanContext's range
    checks are known to pass and the tuple can be built directly.
    """
    probe = SpanContext(3, 5, False, _FLAGS[1], DEFAULT_TRACE_STATE)
    built = _new_tuple(SpanContext, (3, 5, False, _FLAGS[1], DEFAULT_TRACE_STATE, True))
    return tuple(probe) == tuple(built) and (
        built.trace_id,
        built.span_id,
        built.is_remote,
        built.trace_flags,
        built.is_valid,
    ) == (3, 5, False, 1, True)


_DIRECT_CONTEXT = _layout_ok()


def _plain(attributes: Mapping[str, Any]) -> bool:
    """True when every key is a non-empty str and every value a plain attribute value
    (str, int, float, bool, or a non-empty tuple of str)."""
    for key, value in attributes.items():
        kind = type(value)
        if kind is not str and kind is not int and kind is not float and kind is not bool:
            if kind is not tuple or not value:
                return False
            for item in value:
                if type(item) is not str:
                    return False
        if type(key) is not str or not key:
            return False
    return True


class _Dispatch:
    """The processor hooks that do something, for one tuple of span processors."""

    __slots__ = ("key", "on_end", "on_ending", "on_start")

    def __init__(self, active: Any) -> None:
        procs = getattr(active, "_span_processors", None)
        if type(active) is not SynchronousMultiSpanProcessor or not isinstance(procs, tuple):
            self.key: Any = None
            self.on_start: tuple[Any, ...] = (active.on_start,)
            on_ending = getattr(active, "_on_ending", None)
            self.on_ending: tuple[Any, ...] = (on_ending,) if on_ending is not None else ()
            self.on_end: tuple[Any, ...] = (active.on_end,)
            return
        self.key = procs
        self.on_start = tuple(p.on_start for p in procs if type(p).on_start not in _NO_OP_HOOKS)
        self.on_ending = tuple(
            p._on_ending for p in procs if getattr(type(p), "_on_ending", None) not in _NO_OP_HOOKS
        )
        self.on_end = tuple(p.on_end for p in procs)


class FastTracer(trace_api.Tracer):
    """Starts :class:`FastSpan` spans with the settings of one SDK ``Tracer``."""

    def __init__(self, sdk_tracer: Any) -> None:
        self._sdk = sdk_tracer
        # SDKs before 1.40 have no tracer configurator: every tracer is enabled there.
        self._configurable = hasattr(sdk_tracer, "_tracer_config")
        self._active = sdk_tracer.span_processor
        self._dispatch = _Dispatch(self._active)
        self._limits = limits = sdk_tracer._span_limits
        # SpanLimits uses None for "no limit".
        self._max_attributes = (
            limits.max_span_attributes if limits.max_span_attributes is not None else sys.maxsize
        )
        self._clean_values = limits.max_span_attribute_length is not None
        self._scope = sdk_tracer._instrumentation_scope
        self._info = sdk_tracer.instrumentation_info
        ids = sdk_tracer.id_generator
        self._random_ids = type(ids) is RandomIdGenerator
        self._ids = ids
        self._is_random = getattr(ids, "is_trace_id_random", None) if _RANDOM_FLAG else None
        metrics = getattr(sdk_tracer, "_tracer_metrics", None)
        self._tracer_metrics = (
            None if metrics is None or type(metrics).__name__ == "NoOpTracerMetrics" else metrics
        )

    def __getattr__(self, name: str) -> Any:
        # Anything else a caller reads from an SDK tracer (resource, sampler, span_processor,
        # instrumentation_info...) is the SDK tracer's: a FastTracer may be handed to any library.
        sdk = self.__dict__.get("_sdk")
        if sdk is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(sdk, name)

    def dispatch(self) -> _Dispatch:
        """The hooks for the processors registered now (processors can be added at any time)."""
        dispatch = self._dispatch
        if dispatch.key is not None and dispatch.key is not self._active._span_processors:
            dispatch = self._dispatch = _Dispatch(self._active)
        return dispatch

    def start_span(  # type: ignore[override]
        self,
        name: str,
        context: context_api.Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: types.Attributes = None,
        links: Sequence[trace_api.Link] | None = (),
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> trace_api.Span:
        sdk = self._sdk
        ctx = context if context is not None else _context.current()
        parent_span: Any = ctx.get(_SPAN_KEY)
        parent = parent_span.get_span_context() if parent_span is not None else None
        if parent is not None and not isinstance(parent, SpanContext):
            raise TypeError("parent_span_context must be a SpanContext or None.")
        if self._configurable and not sdk._tracer_config.is_enabled:
            return NonRecordingSpan(context=parent)  # type: ignore[arg-type]
        if parent is None or not parent.is_valid:
            parent = None
            if self._random_ids:
                trace_id = _getrandbits(128)
                while not trace_id:
                    trace_id = _getrandbits(128)
                random_flag = _RANDOM_FLAG
            else:
                trace_id = self._ids.generate_trace_id()
                is_random = self._is_random
                random_flag = 2 if is_random is not None and is_random() else 0
        else:
            trace_id = parent[0]
            random_flag = parent[3] & 2
        sampler = sdk.sampler
        attrs: dict[str, Any]
        if sampler is sdk_sampling.DEFAULT_ON:
            # ParentBased(ALWAYS_ON): follow the parent's flag; a root is sampled.
            sampled = parent is None or bool(parent[3] & 1)
            state = parent[4] if parent is not None else DEFAULT_TRACE_STATE
            attrs = dict(attributes) if attributes else {}
            decision = _SAMPLE if sampled else _DROP
            recording = sampled
        else:
            result = sampler.should_sample(ctx, trace_id, name, kind, attributes, links)
            decision = result.decision
            sampled = decision.is_sampled()
            recording = decision.is_recording()
            state = result.trace_state if result.trace_state is not None else DEFAULT_TRACE_STATE
            attrs = dict(result.attributes) if result.attributes else {}
        if self._random_ids:
            span_id = _getrandbits(64)
            while not span_id:
                span_id = _getrandbits(64)
        else:
            span_id = self._ids.generate_span_id()
        flags = _FLAGS[random_flag | sampled]
        if _DIRECT_CONTEXT:
            span_context = _new_tuple(SpanContext, (trace_id, span_id, False, flags, state, True))
        else:  # pragma: no cover - a future API release changed SpanContext
            span_context = SpanContext(trace_id, span_id, False, flags, state)
        end_metrics = None
        if self._tracer_metrics is not None:
            end_metrics = self._tracer_metrics.start_span(parent, decision)
        if not recording:
            return NonRecordingSpan(context=span_context)
        # Span.__new__ only refuses to build a bare Span and Span.__init__ does the
        # general work this path avoids: fill the fields of the span directly.
        span: Any = _new_object(FastSpan)
        span._tracer = self
        span._name = name
        span._context = span_context
        span._parent = parent
        span._kind = kind
        span._start_time = start_time if start_time is not None else time_ns()
        if attrs and (len(attrs) > self._max_attributes or self._clean_values or not _plain(attrs)):
            attrs = span._bounded(attrs)
        span._attributes = attrs
        if end_metrics is not None:
            span._record_end_metrics = end_metrics
        if links:
            span._links = span._new_links(links)
        if not record_exception:
            span._record_exception = False
        if not set_status_on_exception:
            span._set_status_on_exception = False
        dispatch = self._dispatch
        if dispatch.key is not None and dispatch.key is not self._active._span_processors:
            dispatch = self.dispatch()
        for on_start in dispatch.on_start:
            on_start(span, parent_context=context)
        started: FastSpan = span
        return started

    @_contextmanager
    def start_as_current_span(  # type: ignore[override]
        self,
        name: str,
        context: context_api.Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: types.Attributes = None,
        links: Sequence[trace_api.Link] | None = (),
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
        end_on_exit: bool = True,
    ) -> Iterator[trace_api.Span]:
        span = self.start_span(
            name, context, kind, attributes, links, start_time, record_exception,
            set_status_on_exception,
        )  # fmt: skip
        with trace_api.use_span(
            span,
            end_on_exit=end_on_exit,
            record_exception=record_exception,
            set_status_on_exception=set_status_on_exception,
        ) as current:
            yield current


class FastSpan(Span):
    """An SDK span built with less work; see the module docstring for what differs inside."""

    # Defaults shared by every span until a span needs its own.
    _events: Any = ()
    _links: Any = ()
    _status = _UNSET_STATUS
    _record_exception = True
    _set_status_on_exception = True
    _trace_config = None
    _tracer: FastTracer
    _attributes: Any
    _end_time: int | None = None
    _record_end_metrics: Any = None
    _lock = threading.Lock()  # only the SDK's start() would use it; FastSpan overrides the rest

    # Fixed for every span of a tracer: read through the tracer rather than stored per span.
    @property
    def _resource(self) -> Any:  # type: ignore[override]
        return self._tracer._sdk.resource

    @property
    def _instrumentation_scope(self) -> Any:  # type: ignore[override]
        return self._tracer._scope

    @property
    def _instrumentation_info(self) -> Any:  # type: ignore[override]
        return self._tracer._info

    @property
    def _limits(self) -> Any:  # type: ignore[override]
        return self._tracer._limits

    @property
    def _sampler(self) -> Any:  # type: ignore[override]
        return self._tracer._sdk.sampler

    @property
    def _span_processor(self) -> Any:  # type: ignore[override]
        return self._tracer._sdk.span_processor

    def _bounded(self, attributes: Mapping[str, Any]) -> BoundedAttributes:
        limits = self._limits
        return BoundedAttributes(
            limits.max_span_attributes,
            attributes,
            immutable=False,
            max_value_len=limits.max_span_attribute_length,
        )

    def set_attributes(self, attributes: Mapping[str, types.AnyValue]) -> None:
        if self._end_time is not None:
            _log.debug("agentotel: attributes set on an ended span are ignored")
            return
        current = self._attributes
        if type(current) is dict:
            tracer = self._tracer
            if (
                len(current) + len(attributes) <= tracer._max_attributes
                and not tracer._clean_values
                and _plain(attributes)
            ):
                current.update(attributes)
                return
            current = self._attributes = self._bounded(current)
        set_items = getattr(current, "_set_items", None)
        if set_items is not None:
            set_items(attributes)
        else:  # opentelemetry-api before 1.40: one validated item at a time
            for key, value in attributes.items():
                current[key] = value

    def set_attribute(self, key: str, value: types.AnyValue) -> None:
        self.set_attributes({key: value})

    def _add_event(self, event: Any) -> None:
        if self._end_time is not None:
            _log.debug("agentotel: event added to an ended span is ignored")
            return
        if type(self._events) is tuple:
            self._events = BoundedList(self._limits.max_events)
        self._events.append(event)

    def add_event(
        self,
        name: str,
        attributes: types.Attributes = None,
        timestamp: int | None = None,
    ) -> None:
        limits = self._limits
        bounded = BoundedAttributes(
            limits.max_event_attributes,
            attributes,
            max_value_len=limits.max_attribute_length,
            immutable=True,
        )
        self._add_event(Event(name=name, attributes=bounded, timestamp=timestamp))

    def _add_link(self, link: trace_api.Link) -> None:
        if self._end_time is not None:
            _log.debug("agentotel: link added to an ended span is ignored")
            return
        if type(self._links) is tuple:
            self._links = BoundedList(self._limits.max_links)
        self._links.append(link)

    def end(self, end_time: int | None = None) -> None:
        if self._end_time is not None:
            _log.debug("agentotel: end() on an ended span is ignored")
            return
        self._end_time = end_time if end_time is not None else time_ns()
        if type(self._attributes) is BoundedAttributes:
            self._attributes._immutable = True
        if self._record_end_metrics is not None:
            self._record_end_metrics()
        tracer = self._tracer
        dispatch = tracer._dispatch
        if dispatch.key is not None and dispatch.key is not tracer._active._span_processors:
            dispatch = tracer.dispatch()
        for on_ending in dispatch.on_ending:
            on_ending(self)
        for on_end in dispatch.on_end:
            on_end(self)


class FastTracerProvider(TracerProvider):
    """An SDK ``TracerProvider`` whose tracers start :class:`FastSpan` spans.

    Everything else is the SDK's: processors, sampler, id generator, resource,
    limits and tracer configurator are read from the provider and its SDK tracer
    at each span. ``agentotel.instrument()`` builds one when it owns the pipeline
    (``AGENTOTEL_FAST_PATH=0`` builds a plain ``TracerProvider`` instead).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fast_tracers: dict[Any, FastTracer] = {}
        self._fast_lock = threading.Lock()

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
        attributes: types.Attributes = None,
    ) -> trace_api.Tracer:
        sdk_tracer = super().get_tracer(
            instrumenting_module_name, instrumenting_library_version, schema_url, attributes
        )
        if not isinstance(sdk_tracer, Tracer):  # a disabled SDK gives a NoOpTracer
            return sdk_tracer
        # One fast tracer per scope (SDKs before 1.40 build a new SDK tracer per call).
        scope = sdk_tracer._instrumentation_scope
        with self._fast_lock:
            tracer = self._fast_tracers.get(scope)
            if tracer is None:
                tracer = self._fast_tracers[scope] = FastTracer(sdk_tracer)
        return tracer


__all__ = ["FastSpan", "FastTracer", "FastTracerProvider"]
