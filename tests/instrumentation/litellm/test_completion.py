"""completion / acompletion / embedding / aembedding through the real LiteLLM, offline."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agentotel.testing import Reply, ToolCall
from tests.conftest import metric_points
from tests.instrumentation.litellm.conftest import (
    TOOLS,
    USER,
    anthropic_args,
    only_span,
    openai_args,
)

pytestmark = pytest.mark.usefixtures("instrumented")


def test_completion_openai_one_span(
    litellm: Any, server: Any, span_exporter: Any, metric_reader: Any
) -> None:
    server.model.add(Reply("Sunny.", input_tokens=30, output_tokens=4))
    response = litellm.completion(
        messages=USER, temperature=0.3, max_tokens=50, **openai_args(server)
    )
    assert response.choices[0].message.content == "Sunny."
    span = only_span(span_exporter)  # the openai instrumentor underneath stood down
    assert span.name == "chat gpt-4o-mini"
    assert span.instrumentation_scope.name == "agentotel"
    attrs = dict(span.attributes)
    assert attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.request.model"] == "gpt-4o-mini"
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["server.port"] == server.port
    assert attrs["gen_ai.request.temperature"] == 0.3
    assert attrs["gen_ai.request.max_tokens"] == 50
    assert attrs["gen_ai.usage.input_tokens"] == 30
    assert attrs["gen_ai.usage.output_tokens"] == 4
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["agentotel.usage.cost"] == pytest.approx(response._hidden_params["response_cost"])
    assert not any(k.startswith(("gen_ai.input", "gen_ai.output")) for k in attrs)
    points = metric_points(metric_reader)
    (duration,) = points["gen_ai.client.operation.duration"]
    assert duration.attributes["gen_ai.provider.name"] == "openai"


def test_azure_through_the_openai_sdk_one_span(
    litellm: Any, server: Any, span_exporter: Any
) -> None:
    # LiteLLM's Azure route calls the openai SDK's resources, which agentotel's openai
    # instrumentor traces: the LiteLLM span claims the call, so there is still one span.
    response = litellm.completion(
        model="azure/my-gpt-deployment",
        messages=USER,
        api_base=server.url,
        api_key="azure-test",
        api_version="2024-10-21",
    )
    assert response.choices[0].message.content
    assert server.requests[0].headers["user-agent"].startswith("AzureOpenAI/Python")
    span = only_span(span_exporter)
    assert span.name == "chat my-gpt-deployment"
    assert span.attributes["gen_ai.provider.name"] == "azure.ai.openai"


def test_completion_anthropic_one_span(litellm: Any, server: Any, span_exporter: Any) -> None:
    server.model.add(
        Reply(
            tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="toolu_1")],
            input_tokens=20,
            cached_input_tokens=100,
            output_tokens=7,
        )
    )
    response = litellm.completion(messages=USER, tools=TOOLS, **anthropic_args(server))
    assert response.choices[0].message.tool_calls[0].function.name == "get_weather"
    span = only_span(span_exporter)
    attrs = dict(span.attributes)
    assert span.name == "chat claude-sonnet-4-5"
    assert attrs["gen_ai.provider.name"] == "anthropic"
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert attrs["gen_ai.usage.output_tokens"] == 7
    # LiteLLM's prompt_tokens counts the cache reads in, as the conventions do.
    assert attrs["gen_ai.usage.input_tokens"] == 120
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 100


def test_acompletion_and_embeddings(litellm: Any, server: Any, span_exporter: Any) -> None:
    async def calls() -> None:
        await litellm.acompletion(messages=USER, **openai_args(server))
        await litellm.aembedding(input=["hello"], **openai_args(server, "text-embedding-3-small"))

    asyncio.run(calls())
    litellm.embedding(input=["hi"], dimensions=8, **openai_args(server, "text-embedding-3-small"))
    names = [s.name for s in span_exporter.get_finished_spans()]
    assert names == [
        "chat gpt-4o-mini",
        "embeddings text-embedding-3-small",
        "embeddings text-embedding-3-small",
    ]
    embedding = span_exporter.get_finished_spans()[2]
    assert embedding.attributes["gen_ai.embeddings.dimension.count"] == 8
    assert embedding.attributes["gen_ai.provider.name"] == "openai"


def test_positional_model(litellm: Any, server: Any, span_exporter: Any) -> None:
    args = openai_args(server)
    model = args.pop("model")
    litellm.completion(model, USER, **args)
    assert only_span(span_exporter).attributes["gen_ai.request.model"] == "gpt-4o-mini"


def test_litellm_exception_reraised_unchanged(
    litellm: Any, server: Any, span_exporter: Any
) -> None:
    server.model.add(Reply(status=400))
    with pytest.raises(litellm.BadRequestError) as info:
        litellm.completion(messages=USER, **openai_args(server))
    assert type(info.value) is litellm.BadRequestError
    span = only_span(span_exporter)
    assert span.attributes["error.type"] == "litellm.BadRequestError"
    assert span.status.status_code.name == "ERROR"


def test_async_exception(litellm: Any, server: Any, span_exporter: Any) -> None:
    server.model.add(Reply(status=400))
    with pytest.raises(litellm.BadRequestError):
        asyncio.run(litellm.acompletion(messages=USER, **anthropic_args(server)))
    assert only_span(span_exporter).attributes["error.type"] == "litellm.BadRequestError"


def test_unknown_provider_error(litellm: Any, span_exporter: Any) -> None:
    with pytest.raises(litellm.BadRequestError):
        litellm.completion(model="no-such-provider/some-model", messages=USER)
    span = only_span(span_exporter)
    assert span.attributes["gen_ai.provider.name"] == "no-such-provider"
    assert span.attributes["error.type"] == "litellm.BadRequestError"
