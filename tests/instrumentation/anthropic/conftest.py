from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import httpx2
import pytest

from agentotel.instrumentation.anthropic import AnthropicInstrumentor
from agentotel.testing import ScriptedModel, mock_transport

BASE_URL = "http://api.anthropic.test:8443"
MODEL = "claude-sonnet-4-6"
USER = [{"role": "user", "content": "What is the weather in Paris?"}]
TOOLS = [
    {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
]


@pytest.fixture
def model() -> ScriptedModel:
    return ScriptedModel()


@pytest.fixture
def make_client(model: ScriptedModel, tracer_provider: Any) -> Callable[..., Any]:
    """Build a client on the scripted model whose native spans go to the test provider too.

    Giving the SDK the same tracer provider as agentotel makes any span it would add
    visible in ``span_exporter``, so "exactly one span per call" is checked for real.
    """

    def make(
        *, async_: bool = False, open_telemetry: Any = None, **options: Any
    ) -> anthropic.Anthropic | anthropic.AsyncAnthropic:
        otel = {"tracer_provider": tracer_provider} if open_telemetry is None else open_telemetry
        if async_:
            return anthropic.AsyncAnthropic(
                api_key="sk-ant-test",
                base_url=BASE_URL,
                max_retries=0,
                open_telemetry=otel,
                http_client=httpx2.AsyncClient(transport=mock_transport(model, async_=True)),
                **options,
            )
        return anthropic.Anthropic(
            api_key="sk-ant-test",
            base_url=BASE_URL,
            max_retries=0,
            open_telemetry=otel,
            http_client=httpx2.Client(transport=mock_transport(model)),
            **options,
        )

    return make


@pytest.fixture
def client(make_client: Callable[..., Any]) -> anthropic.Anthropic:
    result: anthropic.Anthropic = make_client()
    return result


@pytest.fixture
def aclient(make_client: Callable[..., Any]) -> anthropic.AsyncAnthropic:
    result: anthropic.AsyncAnthropic = make_client(async_=True)
    return result


@pytest.fixture
def content() -> Any:
    """Override in a test module (or parametrize) to turn content capture on."""
    return False


@pytest.fixture
def native_spans() -> str:
    """Override to run a module in ``keep`` mode."""
    return "off"


@pytest.fixture
def instrumented(
    tracer_provider: Any, meter_provider: Any, content: Any, native_spans: str
) -> Iterator[AnthropicInstrumentor]:
    instrumentor = AnthropicInstrumentor()
    instrumentor.instrument(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        capture_content=content,
        native_spans=native_spans,
    )
    yield instrumentor
    instrumentor.uninstrument()


def only_span(exporter: Any) -> Any:
    spans = exporter.get_finished_spans()
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]
