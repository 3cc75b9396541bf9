from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import openai
import pytest

from agentotel.instrumentation.openai import OpenAIInstrumentor
from agentotel.testing import ScriptedModel, mock_transport


@pytest.fixture
def model() -> ScriptedModel:
    return ScriptedModel()


@pytest.fixture
def client(model: ScriptedModel) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="sk-test-secret",
        base_url="http://api.test.local:8080/v1",
        max_retries=0,
        http_client=httpx2.Client(transport=mock_transport(model)),
    )


@pytest.fixture
def aclient(model: ScriptedModel) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        api_key="sk-test-secret",
        base_url="http://api.test.local:8080/v1",
        max_retries=0,
        http_client=httpx2.AsyncClient(transport=mock_transport(model, async_=True)),
    )


@pytest.fixture
def content() -> Any:
    """Override in a test module (or parametrize) to turn content capture on."""
    return False


@pytest.fixture
def instrumented(
    tracer_provider: Any, meter_provider: Any, content: Any
) -> Iterator[OpenAIInstrumentor]:
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        capture_content=content,
    )
    yield instrumentor
    instrumentor.uninstrument()


USER = [{"role": "user", "content": "What is the weather in Paris?"}]
