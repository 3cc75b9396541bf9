from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from agentotel.instrumentation.bedrock import BedrockInstrumentor
from agentotel.testing import ScriptedBedrock, ScriptedBedrockServer

CLAUDE = "anthropic.claude-3-5-haiku-20241022-v1:0"
NOVA = "amazon.nova-lite-v1:0"
TITAN = "amazon.titan-text-express-v1"
TITAN_EMBED = "amazon.titan-embed-text-v2:0"
LLAMA = "meta.llama3-8b-instruct-v1:0"
USER = [{"role": "user", "content": [{"text": "What is the weather in Paris?"}]}]
TOOL_CONFIG = {
    "tools": [
        {
            "toolSpec": {
                "name": "get_weather",
                "description": "Current weather for a city.",
                "inputSchema": {
                    "json": {"type": "object", "properties": {"city": {"type": "string"}}}
                },
            }
        }
    ]
}


@pytest.fixture
def model() -> ScriptedBedrock:
    return ScriptedBedrock()


@pytest.fixture
def server(model: ScriptedBedrock) -> Iterator[ScriptedBedrockServer]:
    with ScriptedBedrockServer(model) as running:
        yield running


@pytest.fixture
def client(server: ScriptedBedrockServer) -> Any:
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="secret-test",
        config=Config(retries={"total_max_attempts": 1}),
    )


@pytest.fixture
def content() -> Any:
    """Override in a test module (or parametrize) to turn content capture on."""
    return False


@pytest.fixture
def instrumented(
    tracer_provider: Any, meter_provider: Any, content: Any
) -> Iterator[BedrockInstrumentor]:
    instrumentor = BedrockInstrumentor()
    instrumentor.instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider, capture_content=content
    )
    yield instrumentor
    instrumentor.uninstrument()


def only_span(exporter: Any) -> Any:
    spans = exporter.get_finished_spans()
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]


def body(**fields: Any) -> str:
    return json.dumps(fields)


def anthropic_body(**extra: Any) -> str:
    return body(
        anthropic_version="bedrock-2023-05-31",
        max_tokens=64,
        messages=[{"role": "user", "content": "What is the weather in Paris?"}],
        **extra,
    )
