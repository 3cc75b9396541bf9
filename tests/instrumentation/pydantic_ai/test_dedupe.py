"""One span per model request: with agentotel's client instrumentors, and with pydantic-ai's own.

The agents here run on pydantic-ai's real OpenAI and Anthropic model classes over the
real SDKs, answered by agentotel's scripted model through an in-process transport.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import httpx2
import openai
import pytest
from opentelemetry.instrumentation.utils import suppress_instrumentation
from pydantic_ai import Agent
from pydantic_ai.capabilities import Instrumentation
from pydantic_ai.models.anthropic import AnthropicModel
from pydantic_ai.models.instrumented import InstrumentationSettings, InstrumentedModel
from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel
from pydantic_ai.models.test import TestModel
from pydantic_ai.providers.anthropic import AnthropicProvider
from pydantic_ai.providers.openai import OpenAIProvider

from agentotel import _config, semconv
from agentotel.instrumentation.anthropic import AnthropicInstrumentor
from agentotel.instrumentation.openai import OpenAIInstrumentor
from agentotel.testing import Reply, ScriptedModel, ToolCall, mock_transport
from tests.conftest import metric_points, tree

pytestmark = pytest.mark.usefixtures("instrument")

OPENAI_URL = "http://api.openai.test:8080/v1"
ANTHROPIC_URL = "http://api.anthropic.test:8443"


@pytest.fixture
def scripted() -> ScriptedModel:
    return ScriptedModel([Reply(tool_calls=[ToolCall("add", {"x": 1, "y": 2})]), Reply(text="3")])


@pytest.fixture(params=["client-instrumentor-on", "client-instrumentor-off"])
def client_instrumentors(
    request: pytest.FixtureRequest,
    tracer_provider: Any,
    meter_provider: Any,
    settings: _config.Settings,
) -> Iterator[bool]:
    on = request.param == "client-instrumentor-on"
    instrumentors = [OpenAIInstrumentor(), AnthropicInstrumentor()] if on else []
    for instrumentor in instrumentors:
        instrumentor.instrument(
            tracer_provider=tracer_provider, meter_provider=meter_provider, settings=settings
        )
    yield on
    for instrumentor in instrumentors:
        instrumentor.uninstrument()


def openai_client(scripted: ScriptedModel) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        api_key="sk-test",
        base_url=OPENAI_URL,
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=mock_transport(scripted, async_=True)),
    )


def calc_agent(model: Any) -> Agent[None, str]:
    agent = Agent(model, name="calc")

    @agent.tool_plain
    def add(x: int, y: int) -> int:
        return x + y

    return agent


async def run(agent: Agent[None, str], stream: bool) -> str:
    if not stream:
        return (await agent.run("What is 1 + 2?")).output
    async with agent.run_stream("What is 1 + 2?") as result:
        return await result.get_output()


def assert_one_chat_per_request(spans: Any, model: str, metric_reader: Any) -> None:
    assert tree(spans) == [
        "invoke_agent calc",
        f"  chat {model}",
        "  execute_tool add",
        f"  chat {model}",
    ]
    chats = [s for s in spans if s.name == f"chat {model}"]
    for chat in chats:
        assert chat.instrumentation_scope.name == "agentotel"
        assert chat.attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] > 0
    durations = metric_points(metric_reader)["gen_ai.client.operation.duration"]
    chat_calls = sum(
        p.count for p in durations if p.attributes[semconv.GEN_AI_OPERATION_NAME] == semconv.OP_CHAT
    )
    assert chat_calls == 2


@pytest.mark.parametrize("stream", [False, True], ids=["run", "run_stream"])
@pytest.mark.parametrize("model_class", [OpenAIChatModel, OpenAIResponsesModel])
async def test_openai_models(
    client_instrumentors: bool,
    model_class: Any,
    stream: bool,
    scripted: ScriptedModel,
    span_exporter: Any,
    metric_reader: Any,
) -> None:
    model = model_class("gpt-4o", provider=OpenAIProvider(openai_client=openai_client(scripted)))

    assert await run(calc_agent(model), stream) == "3"

    spans = span_exporter.get_finished_spans()
    assert_one_chat_per_request(spans, "gpt-4o", metric_reader)
    first = next(s for s in spans if s.name == "chat gpt-4o")
    assert first.attributes[semconv.GEN_AI_PROVIDER_NAME] == "openai"
    assert first.attributes[semconv.SERVER_ADDRESS] == "api.openai.test"
    assert first.attributes[semconv.SERVER_PORT] == 8080
    assert first.attributes[semconv.GEN_AI_RESPONSE_ID]
    assert first.attributes[semconv.GEN_AI_RESPONSE_FINISH_REASONS]
    assert len(scripted.requests) == 2


@pytest.mark.parametrize("sdk_tracing", [False, True], ids=["sdk-spans-off", "sdk-spans-on"])
@pytest.mark.parametrize("stream", [False, True], ids=["run", "run_stream"])
async def test_anthropic_model(
    client_instrumentors: bool,
    stream: bool,
    sdk_tracing: bool,
    scripted: ScriptedModel,
    tracer_provider: Any,
    span_exporter: Any,
    metric_reader: Any,
    request: pytest.FixtureRequest,
) -> None:
    if sdk_tracing and not client_instrumentors:
        pytest.skip("without agentotel's anthropic instrumentor the SDK's own spans are kept")
    # With SDK tracing on, the SDK's own call spans go to the test provider, so an extra span shows.
    client = anthropic.AsyncAnthropic(
        api_key="sk-ant-test",
        base_url=ANTHROPIC_URL,
        max_retries=0,
        open_telemetry={"tracer_provider": tracer_provider} if sdk_tracing else False,
        http_client=httpx2.AsyncClient(transport=mock_transport(scripted, async_=True)),
    )
    model = AnthropicModel("claude-sonnet-4-5", provider=AnthropicProvider(anthropic_client=client))

    assert await run(calc_agent(model), stream) == "3"

    spans = span_exporter.get_finished_spans()
    assert_one_chat_per_request(spans, "claude-sonnet-4-5", metric_reader)
    first = next(s for s in spans if s.name == "chat claude-sonnet-4-5")
    assert first.attributes[semconv.GEN_AI_PROVIDER_NAME] == "anthropic"


@pytest.mark.parametrize("client_instrumentors", ["client-instrumentor-on"], indirect=True)
async def test_client_calls_inside_a_tool_are_still_traced(
    client_instrumentors: bool, scripted: ScriptedModel, span_exporter: Any
) -> None:
    scripted.add(Reply(text="from the tool"))
    tool_client = openai_client(scripted)
    agent = Agent(
        OpenAIChatModel("gpt-4o", provider=OpenAIProvider(openai_client=openai_client(scripted))),
        name="calc",
    )

    @agent.tool_plain
    async def add(x: int, y: int) -> str:
        reply = await tool_client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "help"}]
        )
        return reply.choices[0].message.content or ""

    await agent.run("What is 1 + 2?")

    assert tree(span_exporter.get_finished_spans()) == [
        "invoke_agent calc",
        "  chat gpt-4o",
        "  execute_tool add",
        "    chat gpt-4o-mini",
        "  chat gpt-4o",
    ]


@pytest.mark.parametrize("client_instrumentors", ["client-instrumentor-on"], indirect=True)
async def test_user_suppression_is_respected(
    client_instrumentors: bool, scripted: ScriptedModel, span_exporter: Any
) -> None:
    model = OpenAIChatModel(
        "gpt-4o", provider=OpenAIProvider(openai_client=openai_client(scripted))
    )
    with suppress_instrumentation():
        assert await run(calc_agent(model), stream=False) == "3"
    assert span_exporter.get_finished_spans() == ()


# -- pydantic-ai's own instrumentation -------------------------------------------------


def native(tracer_provider: Any) -> InstrumentationSettings:
    """Native settings on the test provider, so any native span would be exported with ours."""
    return InstrumentationSettings(tracer_provider=tracer_provider, version=5)


NATIVE_WAYS = ["agent.instrument", "instrument_all", "agent capability", "run capability", "model"]


def native_agent(way: str, tracer_provider: Any) -> tuple[Agent[None, str], dict[str, Any]]:
    settings = native(tracer_provider)
    model: Any = TestModel()
    capabilities: list[Any] = []
    run_kwargs: dict[str, Any] = {}
    if way == "model":
        model = InstrumentedModel(model, settings)
    elif way == "agent capability":
        capabilities = [Instrumentation(settings=settings)]
    elif way == "run capability":
        run_kwargs["capabilities"] = [Instrumentation(settings=settings)]
    elif way == "instrument_all":
        Agent.instrument_all(settings)
    agent: Agent[None, str] = Agent(model, name="calc", capabilities=capabilities)
    if way == "agent.instrument":
        agent.instrument = settings

    @agent.tool_plain
    def add(x: int, y: int) -> int:
        return x + y

    return agent, run_kwargs


@pytest.mark.parametrize("way", NATIVE_WAYS)
def test_native_instrumentation_does_not_duplicate(
    way: str, tracer_provider: Any, span_exporter: Any
) -> None:
    agent, run_kwargs = native_agent(way, tracer_provider)

    agent.run_sync("What is 1 + 2?", **run_kwargs)

    spans = span_exporter.get_finished_spans()
    assert tree(spans) == ["invoke_agent calc", "  chat test", "  execute_tool add", "  chat test"]
    assert {s.instrumentation_scope.name for s in spans} == {"agentotel"}


@pytest.mark.parametrize("way", NATIVE_WAYS)
def test_native_instrumentation_returns_after_uninstrument(
    way: str, instrument: Any, tracer_provider: Any, span_exporter: Any
) -> None:
    agent, run_kwargs = native_agent(way, tracer_provider)
    instrument.uninstrument()

    agent.run_sync("What is 1 + 2?", **run_kwargs)

    spans = span_exporter.get_finished_spans()
    assert spans
    assert {s.instrumentation_scope.name for s in spans} == {"pydantic-ai"}
