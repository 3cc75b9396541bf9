from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from agentotel.instrumentation.anthropic import AnthropicInstrumentor
from agentotel.instrumentation.litellm import LiteLLMInstrumentor
from agentotel.instrumentation.openai import OpenAIInstrumentor
from agentotel.testing import ScriptedModelServer

# LiteLLM fetches its model cost map from the network at import unless told not to.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

USER = [{"role": "user", "content": "What is the weather in Paris?"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


@pytest.fixture(scope="package", autouse=True)
def _loopback_only() -> Iterator[None]:
    """Fail any connection LiteLLM (or anything under it) tries beyond 127.0.0.1."""
    original = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1"):
            raise AssertionError(f"network access attempted: {address!r}")
        return original(self, address)

    socket.socket.connect = connect  # type: ignore[method-assign]
    yield
    socket.socket.connect = original  # type: ignore[method-assign]


@pytest.fixture(scope="package")
def litellm(_loopback_only: None) -> Any:
    import litellm

    return litellm


@pytest.fixture
def server() -> Iterator[ScriptedModelServer]:
    with ScriptedModelServer() as running:
        yield running


@pytest.fixture
def content() -> Any:
    return False


@pytest.fixture
def instrumented(
    litellm: Any, tracer_provider: Any, meter_provider: Any, content: Any
) -> Iterator[LiteLLMInstrumentor]:
    """LiteLLM's instrumentor with the openai and anthropic ones on underneath."""
    others = [OpenAIInstrumentor(), AnthropicInstrumentor()]
    instrumentor = LiteLLMInstrumentor()
    for each in (instrumentor, *others):
        each.instrument(
            tracer_provider=tracer_provider, meter_provider=meter_provider, capture_content=content
        )
    yield instrumentor
    for each in (instrumentor, *others):
        each.uninstrument()


def openai_args(server: ScriptedModelServer, model: str = "gpt-4o-mini") -> dict[str, Any]:
    return {"model": f"openai/{model}", "api_base": server.openai_base_url, "api_key": "sk-test"}


def anthropic_args(server: ScriptedModelServer, model: str = "claude-sonnet-4-5") -> dict[str, Any]:
    return {
        "model": f"anthropic/{model}",
        "api_base": server.anthropic_base_url,
        "api_key": "sk-ant-test",
        "max_tokens": 64,
    }


def only_span(exporter: Any) -> Any:
    spans = exporter.get_finished_spans()
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]
