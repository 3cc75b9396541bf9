from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google import genai
from google.genai import types

from agentotel.instrumentation.google_genai import GoogleGenAIInstrumentor
from agentotel.testing import ScriptedModel, ScriptedModelServer

MODEL = "gemini-2.5-flash"


@pytest.fixture
def model() -> ScriptedModel:
    return ScriptedModel()


@pytest.fixture
def server(model: ScriptedModel) -> Iterator[ScriptedModelServer]:
    """The scripted model over real HTTP on 127.0.0.1: the SDK's own transport, unmocked."""
    with ScriptedModelServer(model) as running:
        yield running


def make_client(server: ScriptedModelServer, *, vertex: bool = False) -> genai.Client:
    options = types.HttpOptions(base_url=server.url)
    if vertex:
        # Vertex AI express mode (an API key, no project): the publisher-model paths.
        return genai.Client(vertexai=True, api_key="test-key", http_options=options)
    return genai.Client(api_key="test-key", http_options=options)


@pytest.fixture
def client(server: ScriptedModelServer) -> genai.Client:
    return make_client(server)


@pytest.fixture
def vertex(server: ScriptedModelServer) -> genai.Client:
    return make_client(server, vertex=True)


@pytest.fixture
def content() -> Any:
    """Override in a test module (or parametrize) to turn content capture on."""
    return False


@pytest.fixture
def instrumented(
    tracer_provider: Any, meter_provider: Any, content: Any
) -> Iterator[GoogleGenAIInstrumentor]:
    instrumentor = GoogleGenAIInstrumentor()
    instrumentor.instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider, capture_content=content
    )
    yield instrumentor
    instrumentor.uninstrument()


def spans(exporter: Any) -> list[Any]:
    return list(exporter.get_finished_spans())


def only_span(exporter: Any) -> Any:
    finished = exporter.get_finished_spans()
    assert len(finished) == 1, [s.name for s in finished]
    return finished[0]


def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"21C and sunny in {city}"


async def aget_weather(city: str) -> str:
    """Current weather for a city."""
    return f"21C and sunny in {city}"
