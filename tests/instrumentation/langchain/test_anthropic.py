"""langchain-anthropic over the real anthropic SDK: one chat span, whichever layer makes it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import anthropic
import httpx2
import pytest
from langchain.agents import create_agent
from langchain_anthropic import ChatAnthropic
from langchain_core.tools import tool
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider

from agentotel import semconv
from agentotel.instrumentation.anthropic import AnthropicInstrumentor
from agentotel.instrumentation.langchain import LangChainInstrumentor
from agentotel.testing import Reply, ScriptedModel, ToolCall, mock_transport
from tests.conftest import tree
from tests.instrumentation.langchain.helpers import by_name

Spans = Callable[[], tuple[ReadableSpan, ...]]
CLAUDE = "chat claude-test"


@pytest.fixture
def anthropic_instrumented(
    tracer_provider: TracerProvider, meter_provider: MeterProvider
) -> Iterator[AnthropicInstrumentor]:
    instrumentor = AnthropicInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    yield instrumentor
    instrumentor.uninstrument()


@tool
def weather(city: str) -> str:
    """Weather for a city."""
    return f"sunny in {city}"


def chat_anthropic() -> ChatAnthropic:
    scripted = ScriptedModel(
        [Reply(tool_calls=[ToolCall("weather", {"city": "Oslo"})]), Reply(text="Sunny.")]
    )
    model = ChatAnthropic(model="claude-test", api_key="sk-ant-test")  # type: ignore[call-arg,arg-type]
    client = anthropic.Anthropic(
        api_key="sk-ant-test", http_client=httpx2.Client(transport=mock_transport(scripted))
    )
    model.__dict__["_client"] = client  # the integration builds its own client otherwise
    return model


EXPECTED = ["invoke_agent a", f"  {CLAUDE}", "  execute_tool weather", f"  {CLAUDE}"]


def test_sdk_instrumentor_makes_the_one_chat_span(
    instrumented: LangChainInstrumentor,
    anthropic_instrumented: AnthropicInstrumentor,
    spans: Spans,
) -> None:
    create_agent(chat_anthropic(), [weather], name="a").invoke({"messages": [("user", "?")]})
    got = spans()
    assert tree(got) == EXPECTED
    for span in by_name(got, CLAUDE):
        assert span.instrumentation_scope is not None
        assert span.attributes is not None
        assert span.attributes[semconv.GEN_AI_PROVIDER_NAME] == semconv.PROVIDER_ANTHROPIC
        assert semconv.SERVER_ADDRESS in span.attributes  # only the SDK layer knows it


def test_langchain_makes_it_without_the_sdk_instrumentor(
    instrumented: LangChainInstrumentor, spans: Spans
) -> None:
    create_agent(chat_anthropic(), [weather], name="a").invoke({"messages": [("user", "?")]})
    got = spans()
    assert tree(got) == EXPECTED
    attrs = by_name(got, CLAUDE)[0].attributes
    assert attrs is not None
    assert attrs[semconv.GEN_AI_PROVIDER_NAME] == semconv.PROVIDER_ANTHROPIC
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] > 0
    assert attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_use",)
    assert semconv.SERVER_ADDRESS not in attrs
