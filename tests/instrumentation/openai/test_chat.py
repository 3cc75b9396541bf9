from __future__ import annotations

import asyncio
import gc
import json
from typing import Any

import openai
import pytest
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import BaseModel

from agentotel import semconv
from agentotel.testing import Reply, ScriptedModel, ToolCall
from tests.conftest import metric_points
from tests.instrumentation.openai.conftest import USER

pytestmark = pytest.mark.usefixtures("instrumented")


def only_span(span_exporter: Any) -> Any:
    spans = span_exporter.get_finished_spans()
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]


def test_chat_span_attributes_and_metrics(
    client: openai.OpenAI, model: ScriptedModel, span_exporter: Any, metric_reader: Any
) -> None:
    model.add(
        Reply(
            text="Sunny.",
            input_tokens=12,
            output_tokens=3,
            cached_input_tokens=4,
            reasoning_tokens=1,
        )
    )
    result = client.chat.completions.create(
        model="gpt-4o",
        messages=USER,
        temperature=0.3,
        top_p=0.9,
        max_completion_tokens=50,
        stop=["END"],
        seed=7,
        frequency_penalty=0.1,
        presence_penalty=0.2,
        service_tier="default",
        response_format={"type": "json_object"},
    )
    assert type(result) is openai.types.chat.ChatCompletion
    span = only_span(span_exporter)
    assert span.name == "chat gpt-4o"
    assert span.kind is SpanKind.CLIENT
    attrs = dict(span.attributes)
    assert attrs == {
        **attrs,
        semconv.GEN_AI_OPERATION_NAME: "chat",
        semconv.GEN_AI_PROVIDER_NAME: "openai",
        semconv.GEN_AI_REQUEST_MODEL: "gpt-4o",
        semconv.SERVER_ADDRESS: "api.test.local",
        semconv.SERVER_PORT: 8080,
        semconv.GEN_AI_REQUEST_TEMPERATURE: 0.3,
        semconv.GEN_AI_REQUEST_TOP_P: 0.9,
        semconv.GEN_AI_REQUEST_MAX_TOKENS: 50,
        semconv.GEN_AI_REQUEST_STOP_SEQUENCES: ("END",),
        semconv.GEN_AI_REQUEST_SEED: 7,
        semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY: 0.1,
        semconv.GEN_AI_REQUEST_PRESENCE_PENALTY: 0.2,
        semconv.OPENAI_REQUEST_SERVICE_TIER: "default",
        semconv.GEN_AI_OUTPUT_TYPE: "json",
        semconv.GEN_AI_RESPONSE_ID: result.id,
        semconv.GEN_AI_RESPONSE_MODEL: result.model,
        semconv.GEN_AI_RESPONSE_FINISH_REASONS: ("stop",),
        semconv.GEN_AI_USAGE_INPUT_TOKENS: 12,
        semconv.GEN_AI_USAGE_OUTPUT_TOKENS: 3,
        semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: 4,
        semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: 1,
    }
    # Privacy by default: no content, no credentials anywhere.
    assert semconv.GEN_AI_INPUT_MESSAGES not in attrs
    assert "sk-test-secret" not in json.dumps({k: str(v) for k, v in attrs.items()})
    points = metric_points(metric_reader)
    (duration,) = points["gen_ai.client.operation.duration"]
    assert duration.attributes[semconv.GEN_AI_REQUEST_MODEL] == "gpt-4o"
    assert duration.attributes[semconv.SERVER_ADDRESS] == "api.test.local"
    tokens = {
        p.attributes[semconv.GEN_AI_TOKEN_TYPE]: p.sum for p in points["gen_ai.client.token.usage"]
    }
    assert tokens == {"input": 12, "output": 3}


def test_tool_calls_are_counted(
    client: openai.OpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(
        Reply(
            tool_calls=[
                ToolCall("get_weather", {"city": "Paris"}, id="call_a"),
                ToolCall("get_time", {}, id="call_b"),
            ]
        )
    )
    result = client.chat.completions.create(model="gpt-4o", messages=USER, tools=[_weather_tool()])
    assert result.choices[0].message.tool_calls is not None
    span = only_span(span_exporter)
    assert span.attributes[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_calls",)


async def test_async_chat(
    aclient: openai.AsyncOpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(text="hi", input_tokens=5, output_tokens=1))
    result = await aclient.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert result.choices[0].message.content == "hi"
    span = only_span(span_exporter)
    assert span.name == "chat gpt-4o-mini"
    assert span.attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 5


def test_parse_structured_output(
    client: openai.OpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    class Weather(BaseModel):
        city: str
        forecast: str

    model.add(Reply(text='{"city": "Paris", "forecast": "sunny"}'))
    result = client.chat.completions.parse(model="gpt-4o", messages=USER, response_format=Weather)
    assert result.choices[0].message.parsed == Weather(city="Paris", forecast="sunny")
    span = only_span(span_exporter)
    assert span.attributes[semconv.GEN_AI_OUTPUT_TYPE] == "json"
    assert span.attributes[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)


def test_parent_is_the_current_span(
    client: openai.OpenAI, model: ScriptedModel, tracer_provider: Any, span_exporter: Any
) -> None:
    tracer = tracer_provider.get_tracer("test")
    with tracer.start_as_current_span("agent-step"):
        client.chat.completions.create(model="gpt-4o", messages=USER)
    chat, parent = span_exporter.get_finished_spans()
    assert chat.parent.span_id == parent.context.span_id


def test_suppressed_instrumentation_emits_nothing(
    client: openai.OpenAI, span_exporter: Any
) -> None:
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    with suppress_instrumentation():
        client.chat.completions.create(model="gpt-4o", messages=USER)
    assert span_exporter.get_finished_spans() == ()


def test_with_raw_response(client: openai.OpenAI, model: ScriptedModel, span_exporter: Any) -> None:
    model.add(Reply(text="raw", input_tokens=3, output_tokens=1))
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=USER)
    assert raw.http_response.status_code == 200
    assert raw.parse().choices[0].message.content == "raw"
    span = only_span(span_exporter)
    assert span.attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 3


def test_with_streaming_response_ends_span(
    client: openai.OpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(text="streamed raw"))
    with client.chat.completions.with_streaming_response.create(
        model="gpt-4o", messages=USER
    ) as response:
        assert response.parse().choices[0].message.content == "streamed raw"
    only_span(span_exporter)


def test_embeddings(client: openai.OpenAI, model: ScriptedModel, span_exporter: Any) -> None:
    model.add(Reply(embedding_dimensions=16, input_tokens=4))
    result = client.embeddings.create(
        model="text-embedding-3-small", input="hello", encoding_format="float"
    )
    assert len(result.data[0].embedding) == 16
    span = only_span(span_exporter)
    assert span.name == "embeddings text-embedding-3-small"
    assert span.attributes[semconv.GEN_AI_OPERATION_NAME] == "embeddings"
    assert span.attributes[semconv.GEN_AI_EMBEDDINGS_DIMENSION_COUNT] == 16
    assert span.attributes[semconv.GEN_AI_REQUEST_ENCODING_FORMATS] == ("float",)
    assert span.attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 4


def test_responses_api(client: openai.OpenAI, model: ScriptedModel, span_exporter: Any) -> None:
    model.add(
        Reply(
            tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="call_r")],
            input_tokens=9,
            output_tokens=4,
        )
    )
    result = client.responses.create(
        model="gpt-4.1", input="weather?", instructions="be brief", max_output_tokens=64
    )
    assert result.output[0].type == "function_call"
    span = only_span(span_exporter)
    assert span.name == "chat gpt-4.1"
    assert span.attributes[semconv.GEN_AI_REQUEST_MAX_TOKENS] == 64
    assert span.attributes[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_call",)
    assert span.attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 9
    assert span.attributes[semconv.GEN_AI_RESPONSE_ID] == result.id


def test_responses_stream(client: openai.OpenAI, model: ScriptedModel, span_exporter: Any) -> None:
    model.add(Reply(text="streamed answer", chunks=4, input_tokens=6, output_tokens=3))
    events = list(client.responses.create(model="gpt-4.1", input="hi", stream=True))
    assert events[-1].type == "response.completed"
    span = only_span(span_exporter)
    assert span.attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 3
    assert span.attributes[semconv.GEN_AI_REQUEST_STREAM] is True
    assert semconv.AGENTOTEL_STREAM_ENDED_BY not in span.attributes


async def test_responses_async_stream(
    aclient: openai.AsyncOpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(text="a b c", chunks=3, input_tokens=2, output_tokens=3))
    stream = await aclient.responses.create(model="gpt-4.1", input="hi", stream=True)
    async for _ in stream:
        pass
    assert only_span(span_exporter).attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 2


def test_responses_stream_helper(
    client: openai.OpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(text="helper", chunks=2, input_tokens=2, output_tokens=1))
    with client.responses.stream(model="gpt-4.1", input="hi") as stream:
        final = stream.get_final_response()
    assert final.output_text == "helper"
    assert only_span(span_exporter).attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 1


def test_legacy_completions(
    client: openai.OpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(text="done"))
    try:
        client.completions.create(model="gpt-3.5-turbo-instruct", prompt="say done")
    except openai.NotFoundError:
        pass  # the scripted server may not speak the legacy API; the span must still end
    span = only_span(span_exporter)
    assert span.name == "text_completion gpt-3.5-turbo-instruct"


def _weather_tool() -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }


# -- errors -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error", "error_type"),
    [
        (429, openai.RateLimitError, "openai.RateLimitError"),
        (500, openai.InternalServerError, "openai.InternalServerError"),
        (400, openai.BadRequestError, "openai.BadRequestError"),
    ],
)
def test_status_errors(
    client: openai.OpenAI,
    model: ScriptedModel,
    span_exporter: Any,
    metric_reader: Any,
    status: int,
    error: type[Exception],
    error_type: str,
) -> None:
    model.add(Reply(status=status, headers={"retry-after": "1"}))
    with pytest.raises(error) as caught:
        client.chat.completions.create(model="gpt-4o", messages=USER)
    assert type(caught.value) is error
    span = only_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes[semconv.ERROR_TYPE] == error_type
    assert span.attributes[semconv.HTTP_RESPONSE_STATUS_CODE] == status
    (point,) = metric_points(metric_reader)["gen_ai.client.operation.duration"]
    assert point.attributes[semconv.ERROR_TYPE] == error_type


def test_connection_error_and_timeout(span_exporter: Any) -> None:
    import httpx2

    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("refused", request=request)

    def slow(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("slow", request=request)

    for handler, error in ((refuse, openai.APIConnectionError), (slow, openai.APITimeoutError)):
        client = openai.OpenAI(
            api_key="k",
            max_retries=0,
            http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
        )
        with pytest.raises(error):
            client.chat.completions.create(model="gpt-4o", messages=USER)
    types = [s.attributes[semconv.ERROR_TYPE] for s in span_exporter.get_finished_spans()]
    assert types == ["openai.APIConnectionError", "openai.APITimeoutError"]


@pytest.mark.parametrize("malformed", ["json", "fields"])
def test_malformed_response_degrades(
    client: openai.OpenAI, model: ScriptedModel, span_exporter: Any, malformed: str
) -> None:
    model.add(Reply(text="x", malformed=malformed))
    try:
        client.chat.completions.create(model="gpt-4o", messages=USER)
    except Exception as exc:  # whatever the SDK does, it does it unchanged
        assert isinstance(exc, (openai.APIError, ValueError))
    only_span(span_exporter)


# -- streams ----------------------------------------------------------------


def test_stream_exhausted_with_usage(
    client: openai.OpenAI, model: ScriptedModel, span_exporter: Any, metric_reader: Any
) -> None:
    model.add(Reply(text="one two three", chunks=3, input_tokens=7, output_tokens=3))
    stream = client.chat.completions.create(
        model="gpt-4o", messages=USER, stream=True, stream_options={"include_usage": True}
    )
    assert isinstance(stream, openai.Stream)  # the proxy passes isinstance checks
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "one two three"
    span = only_span(span_exporter)
    assert span.attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 7
    assert span.attributes[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    points = metric_points(metric_reader)
    assert len(points["gen_ai.client.operation.time_to_first_chunk"]) == 1
    assert len(points["gen_ai.client.operation.time_per_output_chunk"]) == 1


def test_stream_without_usage(
    client: openai.OpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(text="abc", chunks=2, include_usage=False))
    for _ in client.chat.completions.create(model="gpt-4o", messages=USER, stream=True):
        pass
    span = only_span(span_exporter)
    assert semconv.GEN_AI_USAGE_INPUT_TOKENS not in span.attributes
    assert span.attributes[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)


def test_stream_context_manager_and_tool_deltas(
    client: openai.OpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="call_s")], chunks=4))
    with client.chat.completions.create(
        model="gpt-4o", messages=USER, stream=True, tools=[_weather_tool()]
    ) as stream:
        chunks = list(stream)
    assert chunks
    span = only_span(span_exporter)
    assert span.attributes[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_calls",)


def test_stream_closed_early(
    client: openai.OpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(text="a b c d e f", chunks=6))
    stream = client.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
    next(iter(stream))
    stream.close()
    stream.close()
    span = only_span(span_exporter)
    assert span.attributes[semconv.AGENTOTEL_STREAM_ENDED_BY] == "closed"
    assert span.status.status_code is not StatusCode.ERROR


def test_stream_break_then_with_exit(
    client: openai.OpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(text="a b c d e f", chunks=6))
    with client.chat.completions.create(model="gpt-4o", messages=USER, stream=True) as stream:
        for _ in stream:
            break
    assert only_span(span_exporter).attributes[semconv.AGENTOTEL_STREAM_ENDED_BY] == "closed"


def test_stream_abandoned_is_collected(
    client: openai.OpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(text="a b c d e f", chunks=6))

    def consume_one() -> None:
        stream = client.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
        for _ in stream:
            break

    consume_one()
    gc.collect()
    assert only_span(span_exporter).attributes[semconv.AGENTOTEL_STREAM_ENDED_BY] == "abandoned"


def test_stream_error_mid_way(
    client: openai.OpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(
        Reply(
            text="partial",
            chunks=2,
            error_body={"error": {"message": "overloaded", "type": "server_error"}},
        )
    )
    with pytest.raises(openai.APIError):
        for _ in client.chat.completions.create(model="gpt-4o", messages=USER, stream=True):
            pass
    span = only_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes[semconv.ERROR_TYPE] == "openai.APIError"


def test_stream_helper_gives_one_span(
    client: openai.OpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(text="helper text", chunks=3, input_tokens=4, output_tokens=2))
    with client.chat.completions.stream(
        model="gpt-4o", messages=USER, stream_options={"include_usage": True}
    ) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content == "helper text"
    assert only_span(span_exporter).attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 2


async def test_async_stream_exhausted_and_closed(
    aclient: openai.AsyncOpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(text="x y z", chunks=3, input_tokens=1, output_tokens=3))
    model.add(Reply(text="x y z", chunks=3))
    stream = await aclient.chat.completions.create(
        model="gpt-4o", messages=USER, stream=True, stream_options={"include_usage": True}
    )
    assert isinstance(stream, openai.AsyncStream)
    async for _ in stream:
        pass
    stream2 = await aclient.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
    async with stream2:
        async for _ in stream2:
            break
    first, second = span_exporter.get_finished_spans()
    assert first.attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 3
    assert second.attributes[semconv.AGENTOTEL_STREAM_ENDED_BY] == "closed"


async def test_async_stream_cancelled(
    aclient: openai.AsyncOpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(text="a b c d", chunks=4, chunk_delay=0.2))

    async def consume() -> None:
        async for _ in await aclient.chat.completions.create(
            model="gpt-4o", messages=USER, stream=True
        ):
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    gc.collect()
    span = only_span(span_exporter)
    assert span.end_time is not None


def test_raw_streamed_response_ends_when_consumed(
    client: openai.OpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    # langchain-openai's include_response_headers path: with_raw_response + stream=True.
    model.add(Reply(text="hello there world", chunks=3, input_tokens=5, output_tokens=3))
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o", messages=USER, stream=True, stream_options={"include_usage": True}
    )
    assert span_exporter.get_finished_spans() == ()
    assert raw.headers["content-type"].startswith("text/event-stream")
    text = "".join(c.choices[0].delta.content or "" for c in raw.parse() if c.choices)
    assert text == "hello there world"
    span = only_span(span_exporter)
    assert span.attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 3


async def test_async_streaming_response_parse(
    aclient: openai.AsyncOpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(text="async raw", input_tokens=2, output_tokens=2))
    async with aclient.chat.completions.with_streaming_response.create(
        model="gpt-4o", messages=USER
    ) as response:
        completion = await response.parse()
    assert completion.choices[0].message.content == "async raw"
    assert only_span(span_exporter).attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 2


def test_raw_response_dropped_unread_still_ends(
    client: openai.OpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(text="never read", chunks=2))
    client.chat.completions.with_raw_response.create(model="gpt-4o", messages=USER, stream=True)
    gc.collect()
    assert only_span(span_exporter).attributes[semconv.AGENTOTEL_STREAM_ENDED_BY] == "abandoned"
