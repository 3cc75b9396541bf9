"""Calls the application makes while a pydantic-ai run is going are traced as usual.

The client instrumentors stand down only for the SDK call a pydantic-ai model makes inside
agentotel's ``chat`` span; never in the user's ``async for`` over a stream, in a tool, in
another task, or for a model request made outside an agent. Nothing here suppresses
other OpenTelemetry instrumentation either.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx2
import openai
import pytest
from opentelemetry import trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from pydantic_ai import Agent
from pydantic_ai.direct import model_request
from pydantic_ai.messages import ModelRequest
from pydantic_ai.models.anthropic import AnthropicModel
from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel
from pydantic_ai.providers.anthropic import AnthropicProvider
from pydantic_ai.providers.openai import OpenAIProvider

from agentotel import _config, semconv
from agentotel.instrumentation.anthropic import AnthropicInstrumentor
from agentotel.instrumentation.openai import OpenAIInstrumentor
from agentotel.instrumentation.pydantic_ai import scope
from agentotel.testing import Reply, ScriptedModel, mock_transport
from tests.conftest import tree

pytestmark = pytest.mark.usefixtures("instrument", "client_instrumentors")


@pytest.fixture
def client_instrumentors(
    tracer_provider: Any, meter_provider: Any, settings: _config.Settings
) -> Iterator[None]:
    instrumentors = [OpenAIInstrumentor(), AnthropicInstrumentor()]
    for instrumentor in instrumentors:
        instrumentor.instrument(
            tracer_provider=tracer_provider, meter_provider=meter_provider, settings=settings
        )
    yield
    for instrumentor in instrumentors:
        instrumentor.uninstrument()


@pytest.fixture
def scripted() -> ScriptedModel:
    return ScriptedModel([Reply("hello world from the model"), Reply("for the user")])


def openai_client(scripted: ScriptedModel, transport: Any = None) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        api_key="sk-test",
        base_url="http://api.openai.test/v1",
        max_retries=0,
        http_client=httpx2.AsyncClient(
            transport=transport or mock_transport(scripted, async_=True)
        ),
    )


async def user_openai_call(client: openai.AsyncOpenAI) -> None:
    await client.chat.completions.create(
        model="user-call", messages=[{"role": "user", "content": "x"}]
    )


def loop_state() -> tuple[bool, bool]:
    """(instrumentation enabled, an SDK call claimed by pydantic-ai) where the user's code runs."""
    return is_instrumentation_enabled(), scope.sdk_call_claimed()


async def stream_and_call(agent: Agent[None, str], how: str, call: Any) -> list[Any]:
    """Run ``agent`` streamed; in the body of the ``async for``, record the state and ``call()``."""
    seen: list[Any] = []
    if how == "run_stream":
        async with agent.run_stream("hi") as result:
            async for _ in result.stream_text():
                seen.append(loop_state())
                await call()
                break
        return seen
    async with agent.iter("hi") as run:
        async for node in run:
            if Agent.is_model_request_node(node):
                async with node.stream(run.ctx) as stream:
                    async for _ in stream:
                        if not seen:
                            seen.append(loop_state())
                            await call()
    return seen


@pytest.mark.parametrize("how", ["run_stream", "iter"])
@pytest.mark.parametrize("same_client", [False, True], ids=["other-client", "model's-client"])
async def test_openai_call_in_the_stream_loop_is_traced(
    how: str, same_client: bool, scripted: ScriptedModel, span_exporter: Any
) -> None:
    model_client = openai_client(scripted)
    user_client = model_client if same_client else openai_client(scripted)
    agent = Agent(
        OpenAIChatModel("gpt-4o", provider=OpenAIProvider(openai_client=model_client)),
        name="streamer",
    )

    seen = await stream_and_call(agent, how, lambda: user_openai_call(user_client))
    await user_openai_call(user_client)

    assert seen == [(True, False)]
    assert len(scripted.requests) == 3
    # pydantic-ai keeps its request's context (the chat span) current in the loop body.
    assert tree(span_exporter.get_finished_spans()) == [
        "invoke_agent streamer",
        "  chat gpt-4o",
        "    chat user-call",
        "chat user-call",
    ]


@pytest.mark.parametrize("sdk_tracing", [False, True], ids=["sdk-spans-off", "sdk-spans-on"])
async def test_anthropic_call_in_the_stream_loop_is_traced(
    sdk_tracing: bool, scripted: ScriptedModel, tracer_provider: Any, span_exporter: Any
) -> None:
    client = anthropic.AsyncAnthropic(
        api_key="sk-ant-test",
        base_url="http://api.anthropic.test",
        max_retries=0,
        open_telemetry={"tracer_provider": tracer_provider} if sdk_tracing else False,
        http_client=httpx2.AsyncClient(transport=mock_transport(scripted, async_=True)),
    )
    agent = Agent(
        AnthropicModel("claude-sonnet-4-5", provider=AnthropicProvider(anthropic_client=client)),
        name="streamer",
    )

    async def call() -> None:
        await client.messages.create(
            model="user-call", max_tokens=10, messages=[{"role": "user", "content": "x"}]
        )

    seen = await stream_and_call(agent, "run_stream", call)

    assert seen == [(True, False)]
    spans = span_exporter.get_finished_spans()
    # One span per call: no SDK span under the agent's chat span, one for the user's call.
    assert tree(spans) == [
        "invoke_agent streamer",
        "  chat claude-sonnet-4-5",
        "    chat user-call",
    ]
    user = next(s for s in spans if s.name == "chat user-call")
    assert user.attributes[semconv.GEN_AI_PROVIDER_NAME] == "anthropic"


class _GatedTransport(httpx2.AsyncBaseTransport):
    """Holds each request until released, noting what is in force while the SDK sends it."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sending = asyncio.Event()
        self.release = asyncio.Event()
        self.seen: list[tuple[bool, bool, str | None]] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        current = getattr(trace.get_current_span(), "name", None)
        self.seen.append((*loop_state(), current))
        self.sending.set()
        await self.release.wait()
        return await self.inner.handle_async_request(request)


@pytest.mark.parametrize("stream", [False, True], ids=["run", "run_stream"])
@pytest.mark.parametrize("model_class", [OpenAIChatModel, OpenAIResponsesModel])
async def test_claim_covers_only_the_models_own_call(
    stream: bool, model_class: Any, scripted: ScriptedModel, span_exporter: Any
) -> None:
    gated = _GatedTransport(mock_transport(scripted, async_=True))
    model = model_class(
        "gpt-4o", provider=OpenAIProvider(openai_client=openai_client(scripted, gated))
    )
    agent = Agent(model, name="calc")

    async def run() -> str:
        if not stream:
            return (await agent.run("hi")).output
        async with agent.run_stream("hi") as result:
            return await result.get_output()

    task = asyncio.create_task(run())
    await gated.sending.wait()
    # The model's SDK call is in flight in the other task: this one is not affected.
    assert loop_state() == (True, False)
    await user_openai_call(openai_client(scripted))
    gated.release.set()
    await task  # answered second, since it was held back
    assert len(scripted.requests) == 2

    # While the SDK sent the model's request: claimed, yet other instrumentation enabled,
    # with agentotel's chat span current (HTTP spans nest under it).
    assert gated.seen == [(True, True, "chat gpt-4o")]
    assert tree(span_exporter.get_finished_spans()) == [
        "invoke_agent calc",
        "  chat gpt-4o",
        "chat user-call",
    ]


async def test_model_request_outside_an_agent_keeps_the_client_span(
    scripted: ScriptedModel, span_exporter: Any
) -> None:
    model = OpenAIChatModel(
        "gpt-4o", provider=OpenAIProvider(openai_client=openai_client(scripted))
    )

    await model_request(model, [ModelRequest.user_text_prompt("hi")])

    spans = span_exporter.get_finished_spans()
    assert tree(spans) == ["chat gpt-4o"]
    assert spans[0].attributes[semconv.GEN_AI_PROVIDER_NAME] == "openai"
