from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import openai
import pytest
from agents import (
    Agent,
    OpenAIChatCompletionsModel,
    OpenAIResponsesModel,
    function_tool,
)
from opentelemetry.sdk.trace import SpanProcessor

from agentotel import _config
from agentotel.instrumentation.openai import OpenAIInstrumentor
from agentotel.instrumentation.openai_agents import OpenAIAgentsInstrumentor
from agentotel.testing import Reply, ScriptedModel, ToolCall, mock_transport

OPENAI_URL = "http://api.openai.test:8080/v1"
MODEL = "gpt-4o"


class EndCounter(SpanProcessor):
    """Counts starts and ends per span, to check that every span ends exactly once."""

    def __init__(self) -> None:
        self.started: dict[int, str] = {}
        self.ends: dict[int, int] = {}

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        self.started[span.context.span_id] = span.name

    def on_end(self, span: Any) -> None:
        key = span.context.span_id
        self.ends[key] = self.ends.get(key, 0) + 1

    def open_spans(self) -> list[str]:
        return [name for sid, name in self.started.items() if sid not in self.ends]

    async def settle(self, timeout: float = 5.0) -> None:
        """Let cancelled or dropped runs unwind (their tasks end on later loop turns)."""
        import asyncio
        import gc

        for _ in range(int(timeout / 0.02)):
            gc.collect()
            if not self.open_spans():
                return
            await asyncio.sleep(0.02)

    def assert_all_ended_once(self) -> None:
        open_spans = [name for sid, name in self.started.items() if sid not in self.ends]
        assert open_spans == []
        assert all(count == 1 for count in self.ends.values())


@pytest.fixture
def content() -> Any:
    """Override (or parametrize) in a test module to turn content capture on."""
    return False


@pytest.fixture
def settings(content: Any) -> _config.Settings:
    return _config.from_env({}, content=content)


@pytest.fixture
def ends(tracer_provider: Any) -> EndCounter:
    counter = EndCounter()
    tracer_provider.add_span_processor(counter)
    return counter


@pytest.fixture
def instrument(
    tracer_provider: Any, meter_provider: Any, settings: _config.Settings, ends: EndCounter
) -> Iterator[OpenAIAgentsInstrumentor]:
    instrumentor = OpenAIAgentsInstrumentor()
    # Tests never upload: agentotel's processor is the SDK's only one while they run.
    instrumentor.instrument(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        settings=settings,
        upload="off",
    )
    yield instrumentor
    instrumentor.uninstrument()


@pytest.fixture(params=["openai-instrumentor-off", "openai-instrumentor-on"])
def openai_instrumentor(
    request: pytest.FixtureRequest,
    tracer_provider: Any,
    meter_provider: Any,
    settings: _config.Settings,
) -> Iterator[bool]:
    on = request.param == "openai-instrumentor-on"
    instrumentor = OpenAIInstrumentor()
    if on:
        instrumentor.instrument(
            tracer_provider=tracer_provider, meter_provider=meter_provider, settings=settings
        )
    yield on
    if on:
        instrumentor.uninstrument()


@pytest.fixture(params=["responses", "chat_completions"])
def model_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def handoff_script() -> list[Reply]:
    """Agent ``triage`` calls ``add``, then hands off to ``math``, which answers."""
    return [
        Reply(tool_calls=[ToolCall("add", {"x": 1, "y": 2}, id="call_add")]),
        Reply(tool_calls=[ToolCall("transfer_to_math", {}, id="call_handoff")]),
        Reply(text="3"),
    ]


@pytest.fixture
def script() -> list[Reply]:
    """The model's replies; a test parametrizes ``script`` to give its own."""
    return handoff_script()


@pytest.fixture
def scripted(script: list[Reply]) -> ScriptedModel:
    return ScriptedModel(script)


def client_for(scripted: ScriptedModel) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        api_key="sk-test",
        base_url=OPENAI_URL,
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=mock_transport(scripted, async_=True)),
    )


@pytest.fixture
def make_model(scripted: ScriptedModel, model_kind: str) -> Callable[[], Any]:
    client = client_for(scripted)
    cls = OpenAIResponsesModel if model_kind == "responses" else OpenAIChatCompletionsModel

    def make() -> Any:
        return cls(model=MODEL, openai_client=client)

    return make


@function_tool
def add(x: int, y: int) -> int:
    """Add two numbers."""
    return x + y


@function_tool
def broken() -> str:
    """Always fails."""
    raise ValueError("kaput")


@pytest.fixture
def agents(make_model: Callable[[], Any]) -> tuple[Agent[Any], Agent[Any]]:
    """(triage, math): triage has the ``add`` tool and hands off to math."""
    math = Agent(name="math", instructions="Answer.", model=make_model())
    triage = Agent(
        name="triage",
        instructions="Route.",
        tools=[add, broken],
        handoffs=[math],
        model=make_model(),
    )
    return triage, math


def by_name(spans: Any) -> Callable[[str], Any]:
    def get(name: str) -> Any:
        for span in spans:
            if span.name == name:
                return span
        raise KeyError(name)

    return get
