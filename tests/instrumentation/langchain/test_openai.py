"""langchain-openai over the real openai SDK: exactly one chat span per model call."""

from __future__ import annotations

import asyncio
import operator
from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypedDict

import httpx2
import pytest
from langchain.agents import create_agent
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from langgraph.graph import END, START, StateGraph
from openai import OpenAI
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.trace import SpanKind

from agentotel import semconv
from agentotel.instrumentation.langchain import LangChainInstrumentor
from agentotel.instrumentation.openai import OpenAIInstrumentor
from agentotel.testing import Reply, ScriptedModel, ToolCall, mock_transport
from tests.conftest import tree
from tests.instrumentation.langchain.helpers import by_name, kinds, one, one_trace, parent_of
from tests.instrumentation.langchain.models import ScriptedChat, reply

Spans = Callable[[], tuple[ReadableSpan, ...]]
GPT = "chat gpt-4o-mini"


@pytest.fixture
def openai_instrumented(
    tracer_provider: TracerProvider, meter_provider: MeterProvider
) -> Iterator[OpenAIInstrumentor]:
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    yield instrumentor
    instrumentor.uninstrument()


def chat_openai(scripted: ScriptedModel, **kwargs: Any) -> ChatOpenAI:
    return ChatOpenAI(
        model="gpt-4o-mini",
        api_key="sk-test",  # type: ignore[arg-type]
        http_client=httpx2.Client(transport=mock_transport(scripted)),
        http_async_client=httpx2.AsyncClient(transport=mock_transport(scripted, async_=True)),
        **kwargs,
    )


@tool
def weather(city: str) -> str:
    """Weather for a city."""
    return f"sunny in {city}"


def weather_script() -> ScriptedModel:
    return ScriptedModel(
        [
            Reply(tool_calls=[ToolCall("weather", {"city": "Oslo"}, id="call_w1")]),
            Reply(text="It is sunny in Oslo."),
        ]
    )


def test_one_chat_span_per_call_under_the_agent(
    instrumented: LangChainInstrumentor, openai_instrumented: OpenAIInstrumentor, spans: Spans
) -> None:
    agent = create_agent(chat_openai(weather_script()), [weather], name="forecaster")
    result = agent.invoke({"messages": [("user", "Weather in Oslo?")]})
    assert result["messages"][-1].content == "It is sunny in Oslo."
    got = spans()
    one_trace(got)
    assert tree(got) == [
        "invoke_agent forecaster",
        f"  {GPT}",
        "  execute_tool weather",
        f"  {GPT}",
    ]
    assert kinds(got)[GPT] == SpanKind.CLIENT
    # The chat spans are the openai instrumentor's: they carry what only the SDK knows.
    for span in by_name(got, GPT):
        assert span.instrumentation_scope is not None
        attrs = span.attributes
        assert attrs is not None
        assert attrs[semconv.GEN_AI_PROVIDER_NAME] == semconv.PROVIDER_OPENAI
        assert semconv.SERVER_ADDRESS in attrs
        assert semconv.GEN_AI_RESPONSE_ID in attrs
    # Usage from LangChain's view still adds up on the agent.
    agent_attrs = one(got, "invoke_agent forecaster").attributes
    assert agent_attrs is not None
    assert agent_attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] > 0
    tool_attrs = one(got, "execute_tool weather").attributes
    assert tool_attrs is not None and tool_attrs[semconv.GEN_AI_TOOL_CALL_ID] == "call_w1"


async def test_async_and_streaming_one_span(
    instrumented: LangChainInstrumentor, openai_instrumented: OpenAIInstrumentor, spans: Spans
) -> None:
    agent = create_agent(chat_openai(weather_script(), streaming=True), [weather], name="f")
    await agent.ainvoke({"messages": [("user", "Weather in Oslo?")]})
    got = spans()
    one_trace(got)
    assert tree(got) == ["invoke_agent f", f"  {GPT}", "  execute_tool weather", f"  {GPT}"]
    for span in by_name(got, GPT):
        assert span.attributes is not None
        assert span.attributes[semconv.GEN_AI_REQUEST_STREAM] is True


def test_langchain_emits_the_chat_span_when_openai_is_not_instrumented(
    instrumented: LangChainInstrumentor, spans: Spans
) -> None:
    agent = create_agent(chat_openai(weather_script()), [weather], name="forecaster")
    agent.invoke({"messages": [("user", "Weather in Oslo?")]})
    got = spans()
    assert tree(got) == [
        "invoke_agent forecaster",
        f"  {GPT}",
        "  execute_tool weather",
        f"  {GPT}",
    ]
    first = by_name(got, GPT)[0]
    attrs = first.attributes
    assert attrs is not None
    assert attrs[semconv.GEN_AI_PROVIDER_NAME] == semconv.PROVIDER_OPENAI
    assert attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_calls",)
    assert attrs[semconv.GEN_AI_RESPONSE_MODEL]
    link_ids = [lk.context.span_id for lk in one(got, "execute_tool weather").links]
    assert link_ids == [first.context.span_id]


def test_openai_alone_still_traced_after_langchain_uninstrumented(
    instrument: Callable[..., LangChainInstrumentor],
    openai_instrumented: OpenAIInstrumentor,
    spans: Spans,
) -> None:
    instrument().uninstrument()
    chat_openai(ScriptedModel(["hi"])).invoke("hello")
    assert tree(spans()) == [GPT]


def test_concurrent_steps_sdk_owned_and_not(
    instrumented: LangChainInstrumentor, openai_instrumented: OpenAIInstrumentor, spans: Spans
) -> None:
    """A step whose model the SDK traces never hides a model call in another step."""

    class S(TypedDict):
        out: Annotated[list[str], operator.add]

    gpt = chat_openai(ScriptedModel(["from gpt"] * 2))
    scripted = ScriptedChat(replies=[reply("from scripted")])
    direct = OpenAI(
        api_key="sk-test",
        http_client=httpx2.Client(transport=mock_transport(ScriptedModel(["raw"]))),
    )

    def via_gpt(state: S) -> dict[str, list[str]]:
        return {"out": [str(gpt.invoke("q").content)]}

    def via_scripted(state: S) -> dict[str, list[str]]:
        return {"out": [str(scripted.invoke("q").content)]}

    def via_sdk(state: S) -> dict[str, list[str]]:
        done = direct.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "q"}]
        )
        return {"out": [done.choices[0].message.content or ""]}

    graph = StateGraph(S)
    for name, fn in (("gpt", via_gpt), ("scripted", via_scripted), ("sdk", via_sdk)):
        graph.add_node(name, fn)
        graph.add_edge(START, name)
        graph.add_edge(name, END)
    out = graph.compile(name="fan").invoke({"out": []})
    assert sorted(out["out"]) == ["from gpt", "from scripted", "raw"]
    got = spans()
    one_trace(got)
    for step, child in (("gpt", GPT), ("scripted", "chat scripted-1"), ("sdk", GPT)):
        children = [s.name for s in got if parent_of(got, s) is one(got, step)]
        assert children == [child], (step, tree(got))
    assert len(by_name(got, GPT)) == 2


async def test_concurrent_async_branches_with_openai(
    instrumented: LangChainInstrumentor, openai_instrumented: OpenAIInstrumentor, spans: Spans
) -> None:
    gpt = chat_openai(ScriptedModel(["one", "two", "three", "four"]))
    scripted = ScriptedChat(replies=[reply("s1"), reply("s2")])

    async def both(text: str) -> list[str]:
        results = await asyncio.gather(gpt.ainvoke(text), scripted.ainvoke(text))
        return [str(r.content) for r in results]

    from langchain_core.runnables import RunnableLambda

    chain = RunnableLambda(both).with_config(run_name="pair")
    outs = await asyncio.gather(chain.ainvoke("a"), chain.ainvoke("b"))
    assert len(outs) == 2
    got = spans()
    roots = by_name(got, "pair")
    assert len(roots) == 2
    for root in roots:
        names = sorted(s.name for s in got if parent_of(got, s) is root)
        assert names == [GPT, "chat scripted-1"]


def test_completion_llm_over_openai_one_span(
    instrumented: LangChainInstrumentor, openai_instrumented: OpenAIInstrumentor, spans: Spans
) -> None:
    from langchain_openai import OpenAI as OpenAILLM

    scripted = ScriptedModel(["four"])
    llm = OpenAILLM(
        model="gpt-3.5-turbo-instruct",
        api_key="sk-test",  # type: ignore[arg-type]
        http_client=httpx2.Client(transport=mock_transport(scripted)),
    )
    assert llm.invoke("2+2?") == "four"
    assert tree(spans()) == ["text_completion gpt-3.5-turbo-instruct"]
