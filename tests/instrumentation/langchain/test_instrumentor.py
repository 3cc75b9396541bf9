"""The instrumentor's lifecycle and its never-break-the-host guarantees."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from langchain.agents import create_agent
from langchain_core.callbacks import BaseCallbackHandler, CallbackManager
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace import ReadableSpan

from agentotel import _safety
from agentotel.instrumentation.langchain import LangChainInstrumentor
from agentotel.instrumentation.langchain.callback import AgentotelCallbackHandler
from agentotel.telemetry import TelemetryHandler
from tests.conftest import tree
from tests.instrumentation.langchain.models import ScriptedChat, reply

Spans = Callable[[], tuple[ReadableSpan, ...]]
EXPECTED = ["invoke_agent calc", "  chat scripted-1", "  execute_tool add", "  chat scripted-1"]


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def run_agent() -> str:
    model = ScriptedChat(replies=[reply(calls=[("add", {"a": 1, "b": 2}, "c1")]), reply("3")])
    result = create_agent(model, [add], name="calc").invoke({"messages": [("user", "1+2")]})
    return str(result["messages"][-1].content)


def test_uninstrument_and_reinstrument(
    instrument: Callable[..., LangChainInstrumentor], spans: Spans
) -> None:
    instrumentor = instrument()
    run_agent()
    assert tree(spans()) == EXPECTED
    instrumentor.uninstrument()
    run_agent()
    assert len(spans()) == len(EXPECTED)
    instrument()
    run_agent()
    assert tree(spans()) == EXPECTED + EXPECTED


def test_double_instrument_emits_once(
    instrument: Callable[..., LangChainInstrumentor], spans: Spans
) -> None:
    instrument()
    instrument()
    run_agent()
    assert tree(spans()) == EXPECTED


def test_handler_reaches_child_runs_exactly_once(
    instrumented: LangChainInstrumentor, spans: Spans
) -> None:
    class Counter(BaseCallbackHandler):
        def __init__(self) -> None:
            self.starts = 0

        def on_chain_start(self, *args: object, **kwargs: object) -> None:
            self.starts += 1

    counter = Counter()
    # A user's own handler, and a user-built manager, next to agentotel's.
    run_agent_with = create_agent(
        ScriptedChat(replies=[reply(calls=[("add", {"a": 1, "b": 2}, "c1")]), reply("3")]),
        [add],
        name="calc",
    )
    run_agent_with.invoke(
        {"messages": [("user", "1+2")]}, config={"callbacks": CallbackManager([counter])}
    )
    assert counter.starts > 0
    assert tree(spans()) == EXPECTED
    callback = instrumented.callback
    assert len(callback.runs) == 0  # every run's entry left on end


def test_runs_are_forgotten_after_errors(instrumented: LangChainInstrumentor) -> None:
    def boom(_: str) -> str:
        raise RuntimeError("x")

    with pytest.raises(RuntimeError):
        RunnableLambda(boom).invoke("a")
    assert len(instrumented.callback.runs) == 0


def test_suppressed_instrumentation_emits_nothing(
    instrumented: LangChainInstrumentor, spans: Spans
) -> None:
    with suppress_instrumentation():
        assert run_agent() == "3"
    assert spans() == ()


def test_telemetry_failure_never_breaks_the_run(
    instrumented: LangChainInstrumentor,
    spans: Spans,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AGENTOTEL_STRICT", "0")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("telemetry bug")

    monkeypatch.setattr(TelemetryHandler, "tool", broken)
    monkeypatch.setattr(TelemetryHandler, "agent", broken)
    assert run_agent() == "3"
    assert _safety.error_counts["langchain.tool_start"] == 1
    assert _safety.error_counts["langchain.chain_start"] >= 1
    # What could still be traced was.
    assert [s.name for s in spans()] == ["chat scripted-1", "chat scripted-1"]


def test_strict_mode_surfaces_internal_errors(
    instrumented: LangChainInstrumentor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTOTEL_STRICT", "1")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("telemetry bug")

    monkeypatch.setattr(TelemetryHandler, "tool", broken)
    with pytest.raises(RuntimeError, match="telemetry bug"):
        run_agent()


def test_callback_handler_is_inheritable_langchain_handler(
    instrumented: LangChainInstrumentor,
) -> None:
    manager = CallbackManager.configure()
    assert isinstance(instrumented.callback, AgentotelCallbackHandler)
    assert manager.handlers.count(instrumented.callback) == 1
    assert manager.inheritable_handlers.count(instrumented.callback) == 1
    child = manager.on_chain_start(None, {}, name="x").get_child()
    assert child.handlers.count(instrumented.callback) == 1
