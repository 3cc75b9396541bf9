"""A fault anywhere on agentotel's telemetry path costs telemetry, never the host's call.

Each function of ``agentotel.telemetry`` and of the openai/anthropic extract and stream
modules is replaced in turn by one that raises; real SDK calls (sync, async, streamed,
failing) then run against the scripted servers with the guard in production mode
(``AGENTOTEL_STRICT=0``). The host must see the same results and exceptions as without
the fault, and every span that started must end exactly once.

Left out: the guard itself (:mod:`agentotel.telemetry.wrap`) and the stream proxies'
own protocol methods, which *are* the host's call path (a proxy whose ``__next__`` is
replaced cannot forward anything), and ``__del__``/``__repr__`` hooks.
"""

from __future__ import annotations

import gc
import inspect
import sys
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import anthropic
import httpx2
import openai
import pytest
from opentelemetry import context as otel_context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider

from agentotel.instrumentation.anthropic import AnthropicInstrumentor
from agentotel.instrumentation.anthropic import extract as anthropic_extract
from agentotel.instrumentation.anthropic import stream as anthropic_stream
from agentotel.instrumentation.openai import OpenAIInstrumentor
from agentotel.instrumentation.openai import extract as openai_extract
from agentotel.instrumentation.openai import stream as openai_stream
from agentotel.telemetry import (
    content,
    context,
    emitter,
    handler,
    invocation,
    metrics,
    secrets,
    stream,
)
from agentotel.testing import Reply, ScriptedModel, mock_transport

MODULES: tuple[types.ModuleType, ...] = (
    handler,
    invocation,
    emitter,
    metrics,
    content,
    context,
    stream,
    secrets,
    openai_extract,
    openai_stream,
    anthropic_extract,
    anthropic_stream,
)
_PROXY_CLASSES = {"StreamProxy", "AsyncStreamProxy"}
_SKIP_METHODS = {"__del__", "__repr__", "__getattr__"}
# The proxies' own guard functions (they catch, report and end the span themselves).
_GUARDS = {(stream, name) for name in ("_feed", "_finish", "_stopped", "_abandoned")}


class Injected(RuntimeError):
    """The fault put into agentotel's code."""


def _targets() -> list[tuple[Any, str]]:
    """(owner, attribute) for every function and method defined in MODULES."""
    out: list[tuple[Any, str]] = []
    for module in MODULES:
        for name, obj in sorted(vars(module).items()):
            if inspect.isfunction(obj) and obj.__module__ == module.__name__:
                if (module, name) not in _GUARDS:
                    out.append((module, name))
            elif inspect.isclass(obj) and obj.__module__ == module.__name__:
                if name in _PROXY_CLASSES:
                    continue
                for attr, value in sorted(vars(obj).items()):
                    if attr in _SKIP_METHODS:
                        continue
                    if inspect.isfunction(value) or isinstance(value, (staticmethod, classmethod)):
                        out.append((obj, attr))
    return out


TARGETS = _targets()


class Ledger(SpanProcessor):
    """Counts starts and ends per span."""

    def __init__(self) -> None:
        self.started: dict[int, int] = {}
        self.ended: dict[int, int] = {}

    def on_start(self, span: Span, parent_context: Any = None) -> None:
        key = span.context.span_id
        self.started[key] = self.started.get(key, 0) + 1

    def on_end(self, span: ReadableSpan) -> None:
        key = span.context.span_id  # type: ignore[union-attr]
        self.ended[key] = self.ended.get(key, 0) + 1

    def check(self) -> None:
        assert self.started == self.ended, (self.started, self.ended)
        assert all(n == 1 for n in self.ended.values()), self.ended


def _replies() -> list[Reply]:
    return [
        Reply(text="Sunny in Paris."),
        Reply(text="Streamed answer."),
        Reply(status=401),
        Reply(text="Sunny in Paris."),
        Reply(text="Streamed answer."),
    ]


def _run_host(model: ScriptedModel) -> list[Any]:
    """What the host application sees from a fixed set of real SDK calls."""
    seen: list[Any] = []
    oai = openai.OpenAI(
        api_key="sk-test",
        base_url="http://api.test.local:8080/v1",
        max_retries=0,
        http_client=httpx2.Client(transport=mock_transport(model)),
    )
    user = [{"role": "user", "content": "Weather in Paris?"}]
    r = oai.chat.completions.create(model="gpt-4o-mini", messages=user)
    seen.append((type(r).__name__, r.choices[0].message.content, r.usage.total_tokens))
    chunks = oai.chat.completions.create(
        model="gpt-4o-mini", messages=user, stream=True, stream_options={"include_usage": True}
    )
    seen.append(
        [(type(c).__name__, c.choices[0].delta.content if c.choices else None) for c in chunks]
    )
    try:
        oai.chat.completions.create(model="gpt-4o-mini", messages=user)
    except openai.APIStatusError as exc:
        seen.append((type(exc).__name__, exc.status_code))
    ant = anthropic.Anthropic(
        api_key="sk-ant-test",
        base_url="http://api.anthropic.test:8443",
        max_retries=0,
        http_client=httpx2.Client(transport=mock_transport(model)),
    )
    msg = ant.messages.create(model="claude-sonnet-4-6", max_tokens=50, messages=user)
    seen.append((type(msg).__name__, msg.content[0].text, msg.usage.output_tokens))
    events = ant.messages.create(
        model="claude-sonnet-4-6", max_tokens=50, messages=user, stream=True
    )
    seen.append([e.type for e in events])
    return seen


def _code(owner: Any, attr: str) -> Any:
    value = inspect.getattr_static(owner, attr)
    func = getattr(value, "__func__", value)
    return getattr(func, "__code__", None)


class Host:
    """Instruments the two SDKs onto a ledger, runs the host's calls, uninstruments.

    ``calls`` and ``setup`` collect the code objects called while the host's calls run and
    while instrumenting; faults go into the former only (setup is not the call path).
    """

    def __init__(self) -> None:
        self.ledger = Ledger()
        self.provider = TracerProvider()
        self.provider.add_span_processor(self.ledger)
        self.calls: set[Any] = set()
        self.setup: set[Any] = set()

    def run(self, profile: bool = False) -> list[Any]:
        self.ledger.started.clear()
        self.ledger.ended.clear()
        instrumentors = [OpenAIInstrumentor(), AnthropicInstrumentor()]
        with self._profiled(self.setup if profile else None):
            for instrumentor in instrumentors:
                instrumentor.instrument(tracer_provider=self.provider, capture_content=True)
        try:
            with self._profiled(self.calls if profile else None):
                seen = _run_host(ScriptedModel(_replies()))
                gc.collect()
            return seen
        finally:
            for instrumentor in instrumentors:
                instrumentor.uninstrument()

    @contextmanager
    def _profiled(self, into: set[Any] | None) -> Iterator[None]:
        if into is None:
            yield
            return

        def profile(frame: types.FrameType, event: str, arg: Any) -> None:
            if event == "call":
                into.add(frame.f_code)

        sys.setprofile(profile)
        try:
            yield
        finally:
            sys.setprofile(None)


def _raiser(counter: list[int], label: str) -> Callable[..., Any]:
    def boom(*_args: Any, **_kwargs: Any) -> Any:
        counter[0] += 1
        raise Injected(f"injected into {label}")

    return boom


@pytest.mark.timeout(900)
def test_every_injected_fault_is_held(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTOTEL_STRICT", "0")
    host = Host()
    expected = host.run(profile=True)
    host.ledger.check()
    assert len(host.ledger.started) == 5  # one span per call, the failing one included
    # Inject only where the calls go: a fault in a function they never call proves nothing.
    on_path = host.calls - host.setup
    targets = [(owner, attr) for owner, attr in TARGETS if _code(owner, attr) in on_path]
    targets += [(context, name) for name in ("current", "attach", "detach")]
    held: list[str] = []
    for owner, attr in targets:
        label = f"{getattr(owner, '__name__', owner)}.{attr}"
        counter = [0]
        original = inspect.getattr_static(owner, attr)
        fault: Any = _raiser(counter, label)
        if isinstance(original, staticmethod):
            fault = staticmethod(fault)
        elif isinstance(original, classmethod):
            fault = classmethod(fault)
        with monkeypatch.context() as patched:
            patched.setattr(owner, attr, fault)
            assert host.run() == expected, label
            gc.collect()
            # Nothing of the call stays attached in the host's context.
            assert not dict(otel_context.get_current()), label
        host.ledger.check()
        if counter[0]:
            held.append(label)
    print(
        f"\n{len(held)} injected faults held (of {len(TARGETS)} functions, {len(targets)} on the path)"
    )
    assert len(held) >= 60, held
