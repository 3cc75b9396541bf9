"""generate_content and embed_content, sync and async, on the Gemini API and Vertex AI."""

from __future__ import annotations

from typing import Any

import pytest
from google.genai import errors, types
from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.trace import SpanKind, StatusCode

from agentotel import semconv
from agentotel.instrumentation.google_genai import extract
from agentotel.testing import Reply, ScriptedModel, ScriptedModelServer, ToolCall
from tests.conftest import metric_points
from tests.instrumentation.google_genai.conftest import MODEL, only_span

pytestmark = pytest.mark.usefixtures("instrumented")


def test_generate_content_span(
    client: Any, model: ScriptedModel, server: ScriptedModelServer, span_exporter: Any
) -> None:
    model.add(Reply(text="Hello!", input_tokens=12, output_tokens=3))
    config = types.GenerateContentConfig(
        temperature=0.2,
        top_p=0.9,
        top_k=40,
        max_output_tokens=100,
        stop_sequences=["END"],
        seed=7,
        presence_penalty=0.1,
        frequency_penalty=0.3,
        response_mime_type="application/json",
    )
    result = client.models.generate_content(model=MODEL, contents="Hi", config=config)
    assert result.text == "Hello!"
    span = only_span(span_exporter)
    assert span.name == f"generate_content {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert dict(span.attributes) == {
        "gen_ai.operation.name": "generate_content",
        "gen_ai.provider.name": "gcp.gemini",
        "gen_ai.request.model": MODEL,
        "server.address": "127.0.0.1",
        "server.port": server.port,
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.top_k": 40,
        "gen_ai.request.max_tokens": 100,
        "gen_ai.request.stop_sequences": ("END",),
        "gen_ai.request.seed": 7,
        "gen_ai.request.presence_penalty": 0.1,
        "gen_ai.request.frequency_penalty": 0.3,
        "gen_ai.output.type": "json",
        "gen_ai.response.model": MODEL,
        "gen_ai.response.id": result.response_id,
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 3,
    }


class _StartAttributes(SpanProcessor):
    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        self.seen.append(dict(span.attributes))


def test_sampler_relevant_attributes_are_set_at_start(
    client: Any, tracer_provider: Any, server: ScriptedModelServer
) -> None:
    recorder = _StartAttributes()
    tracer_provider.add_span_processor(recorder)
    client.models.generate_content(model=f"models/{MODEL}", contents="Hi")
    (start,) = recorder.seen
    assert start[semconv.GEN_AI_OPERATION_NAME] == "generate_content"
    assert start[semconv.GEN_AI_PROVIDER_NAME] == "gcp.gemini"
    assert start[semconv.GEN_AI_REQUEST_MODEL] == MODEL  # the "models/" prefix is dropped
    assert start[semconv.SERVER_ADDRESS] == "127.0.0.1"
    assert start[semconv.SERVER_PORT] == server.port


def test_vertex_ai_provider(vertex: Any, span_exporter: Any, server: ScriptedModelServer) -> None:
    vertex.models.generate_content(model=MODEL, contents="Hi")
    span = only_span(span_exporter)
    assert span.attributes["gen_ai.provider.name"] == "gcp.vertex_ai"
    assert span.attributes["server.port"] == server.port
    assert "/publishers/google/models/" in server.requests[0].path


def test_provider_unknown_client_is_gcp_gen_ai() -> None:
    assert extract.server_and_provider(object(), None) == (None, None, "gcp.gen_ai")


def test_request_options_base_url_names_the_server(
    client: Any, span_exporter: Any, server: ScriptedModelServer
) -> None:
    config = types.GenerateContentConfig(http_options=types.HttpOptions(base_url=server.url))
    client.models.generate_content(model=MODEL, contents="Hi", config=config)
    assert only_span(span_exporter).attributes["server.port"] == server.port


def test_cached_and_reasoning_tokens_convert_to_the_conventions_totals(
    client: Any, model: ScriptedModel, span_exporter: Any
) -> None:
    # Gemini: promptTokenCount includes the 40 cached tokens; candidatesTokenCount (10)
    # excludes the 5 thinking tokens, which the conventions count as output.
    model.add(
        Reply(
            text="x", input_tokens=100, cached_input_tokens=40, output_tokens=10, reasoning_tokens=5
        )
    )
    result = client.models.generate_content(model=MODEL, contents="Hi")
    usage = result.usage_metadata
    assert (usage.prompt_token_count, usage.cached_content_token_count) == (100, 40)
    assert (usage.candidates_token_count, usage.thoughts_token_count) == (10, 5)
    attrs = only_span(span_exporter).attributes
    assert attrs["gen_ai.usage.input_tokens"] == 100
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 40
    assert attrs["gen_ai.usage.output_tokens"] == 15
    assert attrs["gen_ai.usage.reasoning.output_tokens"] == 5
    assert attrs["gen_ai.usage.input_tokens"] + attrs["gen_ai.usage.output_tokens"] == (
        usage.total_token_count
    )


def test_candidate_count(client: Any, model: ScriptedModel, span_exporter: Any) -> None:
    model.add(Reply(text="one of two"))
    config = types.GenerateContentConfig(candidate_count=2)
    result = client.models.generate_content(model=MODEL, contents="Hi", config=config)
    assert len(result.candidates) == 2
    attrs = only_span(span_exporter).attributes
    assert attrs["gen_ai.request.choice.count"] == 2
    assert attrs["gen_ai.response.finish_reasons"] == ("stop", "stop")


@pytest.mark.parametrize(
    ("gemini", "conventions"),
    [
        ("STOP", "stop"),
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("RECITATION", "content_filter"),
        ("BLOCKLIST", "content_filter"),
        ("PROHIBITED_CONTENT", "content_filter"),
        ("SPII", "content_filter"),
        ("LANGUAGE", "content_filter"),
        ("IMAGE_SAFETY", "content_filter"),
        ("MALFORMED_FUNCTION_CALL", "error"),
        ("UNEXPECTED_TOOL_CALL", "error"),
        ("OTHER", "error"),
        ("FINISH_REASON_UNSPECIFIED", "error"),
        ("CONTINUATION", "length"),
        ("A_FUTURE_REASON", "a_future_reason"),
    ],
)
@pytest.mark.filterwarnings("ignore:A_FUTURE_REASON")
def test_finish_reasons_map_to_the_conventions(
    client: Any, model: ScriptedModel, span_exporter: Any, gemini: str, conventions: str
) -> None:
    model.add(Reply(text="x", finish_reason=gemini))
    config = types.GenerateContentConfig(automatic_continuation=False)
    client.models.generate_content(model=MODEL, contents="Hi", config=config)
    assert only_span(span_exporter).attributes["gen_ai.response.finish_reasons"] == (conventions,)


def test_every_gemini_finish_reason_is_mapped() -> None:
    for reason in types.FinishReason:
        assert extract.finish_reason(reason) in {"stop", "length", "content_filter", "error"}


def test_function_call_finishes_as_tool_call(
    client: Any, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="fc-1")]))
    client.models.generate_content(model=MODEL, contents="Weather?")
    assert only_span(span_exporter).attributes["gen_ai.response.finish_reasons"] == ("tool_call",)


async def test_async_generate_content(
    client: Any, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(text="async hello", input_tokens=4, output_tokens=2))
    result = await client.aio.models.generate_content(model=MODEL, contents="Hi")
    assert result.text == "async hello"
    span = only_span(span_exporter)
    assert span.name == f"generate_content {MODEL}"
    assert span.attributes["gen_ai.usage.input_tokens"] == 4
    assert span.attributes["gen_ai.usage.output_tokens"] == 2


def test_api_error_is_reraised_unchanged(
    client: Any, model: ScriptedModel, span_exporter: Any, metric_reader: Any
) -> None:
    model.add(Reply(status=429))
    with pytest.raises(errors.ClientError) as caught:
        client.models.generate_content(model=MODEL, contents="Hi")
    assert type(caught.value) is errors.ClientError
    assert caught.value.code == 429
    span = only_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "google.genai.errors.ClientError"
    (point,) = metric_points(metric_reader)["gen_ai.client.operation.duration"]
    assert point.attributes["error.type"] == "google.genai.errors.ClientError"


async def test_async_server_error(client: Any, model: ScriptedModel, span_exporter: Any) -> None:
    model.add(Reply(status=500))
    with pytest.raises(errors.ServerError):
        await client.aio.models.generate_content(model=MODEL, contents="Hi")
    assert only_span(span_exporter).attributes["error.type"] == "google.genai.errors.ServerError"


def test_client_metrics(client: Any, model: ScriptedModel, metric_reader: Any, server: Any) -> None:
    model.add(Reply(text="x", input_tokens=7, output_tokens=3))
    client.models.generate_content(model=MODEL, contents="Hi")
    points = metric_points(metric_reader)
    (duration,) = points["gen_ai.client.operation.duration"]
    assert dict(duration.attributes) == {
        "gen_ai.operation.name": "generate_content",
        "gen_ai.provider.name": "gcp.gemini",
        "gen_ai.request.model": MODEL,
        "gen_ai.response.model": MODEL,
        "server.address": "127.0.0.1",
        "server.port": server.port,
    }
    tokens = {p.attributes["gen_ai.token.type"]: p.sum for p in points["gen_ai.client.token.usage"]}
    assert tokens == {"input": 7, "output": 3}


def test_embed_content_gemini_api(client: Any, span_exporter: Any, server: Any) -> None:
    result = client.models.embed_content(
        model="gemini-embedding-001", contents=["a", "b"], config={"output_dimensionality": 16}
    )
    assert len(result.embeddings) == 2
    span = only_span(span_exporter)
    assert span.name == "embeddings gemini-embedding-001"
    assert span.attributes["gen_ai.operation.name"] == "embeddings"
    assert span.attributes["gen_ai.provider.name"] == "gcp.gemini"
    assert span.attributes["gen_ai.embeddings.dimension.count"] == 16
    assert server.requests[0].path.endswith(":batchEmbedContents")


@pytest.mark.parametrize(
    ("name", "endpoint"),
    [("gemini-embedding-001", ":embedContent"), ("text-embedding-004", ":predict")],
)
async def test_embed_content_vertex(
    vertex: Any, span_exporter: Any, server: Any, name: str, endpoint: str
) -> None:
    result = await vertex.aio.models.embed_content(model=name, contents="hello world")
    assert len(result.embeddings[0].values) == 8
    span = only_span(span_exporter)
    assert span.attributes["gen_ai.provider.name"] == "gcp.vertex_ai"
    assert span.attributes["gen_ai.embeddings.dimension.count"] == 8
    assert span.attributes["gen_ai.usage.input_tokens"] == int(
        result.embeddings[0].statistics.token_count
    )
    assert server.requests[0].path.endswith(endpoint)
