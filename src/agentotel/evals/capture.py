"""In-memory capture of the spans a block of code produces, for tests (``agentotel_traces``).

When :func:`agentotel.instrument` has already run, the capture listens on its
tracer provider (and on the global one, if that is an SDK provider). Otherwise
it instruments with providers of its own, never global ones, and undoes that on
exit. Providers get one small listener each, installed once and idle when no
capture is active, because the SDK cannot remove a span processor.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry.context import Context as OtelContext
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace import Span as SDKSpan

from agentotel.evals.model import Report, TraceData
from agentotel.store.convert import from_readable
from agentotel.store.model import Span


class _Listener(SpanProcessor):
    """Hands every ended span to the captures active at the time."""

    def __init__(self) -> None:
        self.captures: list[TraceCapture] = []
        self.lock = threading.Lock()

    def on_start(self, span: SDKSpan, parent_context: OtelContext | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        with self.lock:
            active = list(self.captures)
        for capture in active:
            capture._add(span)

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


_listeners: weakref.WeakKeyDictionary[Any, _Listener] = weakref.WeakKeyDictionary()
_listeners_lock = threading.Lock()


def _listener(provider: Any) -> _Listener | None:
    if not hasattr(provider, "add_span_processor"):
        return None
    with _listeners_lock:
        found = _listeners.get(provider)
        if found is None:
            found = _Listener()
            provider.add_span_processor(found)
            _listeners[provider] = found
        return found


class TraceCapture:
    """The spans captured so far, as store records, with helpers to query and evaluate them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spans: list[ReadableSpan] = []
        self._seen: set[tuple[int, int]] = set()
        self.instrumentation: Any = None

    def _add(self, span: ReadableSpan) -> None:
        ctx = span.context
        if ctx is None:
            return
        key = (ctx.trace_id, ctx.span_id)
        with self._lock:
            if key not in self._seen:
                self._seen.add(key)
                self._spans.append(span)

    # --- reading -----------------------------------------------------------------

    def flush(self) -> None:
        """Make spans ended by batching pipelines visible (a no-op for our own provider)."""
        provider = getattr(self.instrumentation, "tracer_provider", None)
        flush = getattr(provider, "force_flush", None)
        if callable(flush):
            flush()

    @property
    def readable_spans(self) -> list[ReadableSpan]:
        """The SDK span objects, in the order they ended."""
        with self._lock:
            return list(self._spans)

    @property
    def spans(self) -> list[Span]:
        """Every captured span as a store record (``tool_name``, ``input_tokens``, ...)."""
        out = []
        for s in self.readable_spans:
            record = from_readable(s)
            if record is not None:
                out.append(record)
        return out

    def traces(self) -> list[TraceData]:
        """Captured spans grouped into traces, oldest first."""
        from agentotel.evals.source import group

        return sorted(group(self.spans), key=lambda t: t.start_ns)

    def trace(self) -> TraceData:
        """The only captured trace (AssertionError when there are none or several)."""
        found = self.traces()
        assert len(found) == 1, f"expected exactly one trace, captured {len(found)}"
        return found[0]

    def find(self, **fields: Any) -> list[Span]:
        """Spans matching fields: ``operation``, ``tool``, ``agent``, ``model``, ``name``, ``status``."""
        return [s for t in self.traces() for s in t.find(**fields)]

    def tool_calls(self, name: str | None = None) -> list[Span]:
        """``execute_tool`` spans (outermost), optionally of one tool."""
        calls = [s for t in self.traces() for s in t.tool_calls]
        return [s for s in calls if name is None or s.tool_name == name]

    def llm_calls(self, model: str | None = None) -> list[Span]:
        """Model call spans (outermost), optionally of one model."""
        calls = [s for t in self.traces() for s in t.llm_calls]
        return [s for s in calls if model is None or model in (s.request_model, s.response_model)]

    def tokens(self) -> dict[str, int]:
        """Input, output and total tokens over every captured trace."""
        traces = self.traces()
        used = {
            "input": sum(t.input_tokens for t in traces),
            "output": sum(t.output_tokens for t in traces),
        }
        used["total"] = used["input"] + used["output"]
        return used

    def clear(self) -> None:
        with self._lock:
            self._spans.clear()
            self._seen.clear()

    # --- evaluating --------------------------------------------------------------

    def evaluate(
        self,
        *evaluators: str | Callable[..., Any],
        config: Any = None,
        **options: Any,
    ) -> Report:
        """Run evaluators (default: the bundled default set) on the captured traces."""
        from agentotel.evals.runner import evaluate

        return evaluate(self.traces(), list(evaluators) or None, config=config, **options)

    # --- assertions --------------------------------------------------------------

    def assert_passes(self, *evaluators: str | Callable[..., Any], **options: Any) -> Report:
        """Evaluate and fail the test with every failing explanation."""
        report = self.evaluate(*evaluators, **options)
        assert report.passed, "agentotel evaluations failed:\n" + report.explain()
        return report

    def assert_tool_used(
        self, name: str, times: int | None = None, at_least: int = 1
    ) -> list[Span]:
        """The tool ran (``times`` exactly, or at least ``at_least`` times)."""
        calls = self.tool_calls(name)
        used = sorted({s.tool_name or "?" for s in self.tool_calls()})
        if times is not None:
            assert len(calls) == times, (
                f"expected {name} to run {times} times, it ran {len(calls)} (tools run: {used})"
            )
        else:
            assert len(calls) >= at_least, (
                f"expected {name} to run at least {at_least} times, it ran {len(calls)} "
                f"(tools run: {used})"
            )
        return calls

    def assert_tool_not_used(self, name: str) -> None:
        calls = self.tool_calls(name)
        assert not calls, f"expected {name} not to run, it ran {len(calls)} times"

    def assert_no_loops(self, min_repeats: int = 3, **options: Any) -> None:
        """No tool was called ``min_repeats`` times with (nearly) the same arguments."""
        self.assert_passes("tool_loops", min_repeats=min_repeats, **options)

    def assert_tokens_under(self, max_total: int, per_trace: bool = False) -> None:
        """Total tokens (over all traces, or of each trace) stay at or under ``max_total``."""
        if per_trace:
            self.assert_passes("tokens", max_total=max_total)
            return
        used = self.tokens()
        assert used["total"] <= max_total, (
            f"used {used['total']:,} tokens ({used['input']:,} in, {used['output']:,} out), "
            f"budget {max_total:,}"
        )


@contextmanager
def capture(
    capture_content: bool | str | None = None,
    libraries: Sequence[str] | None = None,
) -> Iterator[TraceCapture]:
    """Capture the spans produced inside the block.

    Without an active :func:`agentotel.instrument`, instruments ``libraries`` (default:
    every installed one) on private in-memory providers, with ``capture_content``
    (default: the environment's setting), and undoes it afterwards.
    """
    from opentelemetry import trace

    import agentotel

    result = TraceCapture()
    listeners: list[_Listener] = []
    owned: Any = None
    current = agentotel.current()
    if current is not None:
        providers = [current.tracer_provider, trace.get_tracer_provider()]
    else:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider

        resource = Resource.create({"service.name": "pytest"})
        tracer_provider = TracerProvider(resource=resource)
        meter_provider = MeterProvider(resource=resource)
        owned = agentotel.instrument(
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
            capture_content=capture_content,
            libraries=list(libraries) if libraries is not None else None,
        )
        providers = [tracer_provider, trace.get_tracer_provider()]
        current = owned
    result.instrumentation = current
    for provider in providers:
        found = _listener(provider)
        if found is not None and found not in listeners:
            listeners.append(found)
    for found in listeners:
        with found.lock:
            found.captures.append(result)
    try:
        yield result
    finally:
        result.flush()
        for found in listeners:
            with found.lock:
                if result in found.captures:
                    found.captures.remove(result)
        if owned is not None:
            owned.uninstrument()
            owned.tracer_provider.shutdown()
            owned.meter_provider.shutdown()
