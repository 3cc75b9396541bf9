"""The real openai SDK against the scripted responses, embeddings and completions endpoints."""

from __future__ import annotations

import json

import openai
import pytest

from agentotel.testing import Reply, ScriptedModel, ToolCall
from tests.testing.conftest import Clients

TOOLS = [
    {
        "type": "function",
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
]


def test_responses_text(clients: Clients) -> None:
    model = ScriptedModel(
        [Reply("Hi!", cached_input_tokens=4, reasoning_tokens=3, input_tokens=12)]
    )
    client = clients.openai(model)

    result = client.responses.create(model="gpt-5", input="hello", instructions="be brief")

    assert result.object == "response" and result.id.startswith("resp_")
    assert result.status == "completed"
    assert result.model == "gpt-5"
    assert result.output_text == "Hi!"
    assert result.instructions == "be brief"
    usage = result.usage
    assert usage is not None
    assert usage.input_tokens == 12
    assert usage.input_tokens_details.cached_tokens == 4
    assert usage.output_tokens_details.reasoning_tokens == 3
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens
    assert model.requests[0].api == "openai.responses"


def test_responses_function_call_and_reasoning(clients: Clients) -> None:
    reply = Reply(
        reasoning="Need the weather.", tool_calls=[ToolCall("get_weather", {"city": "Paris"})]
    )
    client = clients.openai(ScriptedModel([reply]))

    result = client.responses.create(model="gpt-5", input="weather?", tools=TOOLS)  # type: ignore[arg-type]

    kinds = [item.type for item in result.output]
    assert kinds == ["reasoning", "function_call"]
    reasoning, call = result.output
    assert reasoning.type == "reasoning" and reasoning.summary[0].text == "Need the weather."
    assert call.type == "function_call"
    assert call.name == "get_weather" and call.call_id.startswith("call_")
    assert json.loads(call.arguments) == {"city": "Paris"}


def test_responses_incomplete(clients: Clients) -> None:
    client = clients.openai(ScriptedModel([Reply("cut", finish_reason="length")]))

    result = client.responses.create(model="gpt-5", input="x")

    assert result.status == "incomplete"
    assert result.incomplete_details is not None
    assert result.incomplete_details.reason == "max_output_tokens"


def test_responses_raw_stream_events(clients: Clients) -> None:
    reply = Reply(
        "Hello world", reasoning="think", tool_calls=[ToolCall("get_weather", {"city": "Oslo"})]
    )
    client = clients.openai(ScriptedModel([reply]))

    events = list(client.responses.create(model="gpt-5", input="x", tools=TOOLS, stream=True))  # type: ignore[arg-type]

    types = [e.type for e in events]
    assert types[0] == "response.created" and types[-1] == "response.completed"
    for expected in (
        "response.in_progress",
        "response.output_item.added",
        "response.reasoning_summary_text.delta",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
    ):
        assert expected in types
    assert [e.sequence_number for e in events] == list(range(len(events)))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "Hello world"
    completed = events[-1]
    assert completed.type == "response.completed"
    assert completed.response.usage is not None


def test_responses_stream_helper(clients: Clients) -> None:
    reply = Reply("Checking.", tool_calls=[ToolCall("get_weather", {"city": "Rome"})], chunks=4)
    client = clients.openai(ScriptedModel([reply]))

    with client.responses.stream(model="gpt-5", input="x", tools=TOOLS) as stream:  # type: ignore[arg-type]
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()

    assert len(deltas) == 4 and "".join(deltas) == "Checking."
    assert final.output_text == "Checking."
    call = final.output[-1]
    assert call.type == "function_call" and json.loads(call.arguments) == {"city": "Rome"}
    assert final.usage is not None and final.usage.output_tokens > 0


async def test_responses_async_stream(clients: Clients) -> None:
    client = clients.async_openai(ScriptedModel(["async text"]))

    stream = await client.responses.create(model="gpt-5", input="x", stream=True)
    text = "".join([e.delta async for e in stream if e.type == "response.output_text.delta"])

    assert text == "async text"
    await client.close()


def test_responses_error(clients: Clients) -> None:
    client = clients.openai(ScriptedModel([Reply(status=429)]))

    with pytest.raises(openai.RateLimitError):
        client.responses.create(model="gpt-5", input="x")


def test_embeddings_default_base64(clients: Clients) -> None:
    model = ScriptedModel([Reply(embedding_dimensions=16), Reply(embedding_dimensions=16)])
    client = clients.openai(model)

    first = client.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    again = client.embeddings.create(model="text-embedding-3-small", input="a")

    assert model.requests[0].body["encoding_format"] == "base64"  # the SDK's default
    assert [d.index for d in first.data] == [0, 1]
    assert all(len(d.embedding) == 16 for d in first.data)
    assert first.data[0].embedding != first.data[1].embedding
    assert again.data[0].embedding == pytest.approx(first.data[0].embedding, abs=1e-6)
    assert first.usage.prompt_tokens == first.usage.total_tokens > 0
    assert first.model == "text-embedding-3-small"


def test_embeddings_float_and_dimensions(clients: Clients) -> None:
    client = clients.openai(ScriptedModel())

    result = client.embeddings.create(
        model="m", input="hello", encoding_format="float", dimensions=5
    )

    assert len(result.data[0].embedding) == 5
    assert all(-1.0 <= v <= 1.0 for v in result.data[0].embedding)


def test_embeddings_error(clients: Clients) -> None:
    client = clients.openai(ScriptedModel([Reply(status=500)]))

    with pytest.raises(openai.InternalServerError):
        client.embeddings.create(model="m", input="hello")


def test_legacy_completions(clients: Clients) -> None:
    client = clients.openai(ScriptedModel(["done", Reply("a b c", finish_reason="length")]))

    result = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="say")
    stream = client.completions.create(
        model="gpt-3.5-turbo-instruct",
        prompt="say",
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)

    assert result.object == "text_completion"
    assert result.choices[0].text == "done" and result.choices[0].finish_reason == "stop"
    assert result.usage is not None and result.usage.total_tokens > 0
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "a b c"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
    assert chunks[-1].usage is not None


def test_responses_error_in_the_middle_of_a_stream(clients: Clients) -> None:
    body = {"error": {"message": "stream broke", "type": "server_error", "code": "server_error"}}
    client = clients.openai(ScriptedModel([Reply("a b c d e f", error_body=body)]))

    events = list(client.responses.create(model="gpt-5", input="x", stream=True))

    assert events[0].type == "response.created"
    last = events[-1]
    assert last.type == "error" and last.message == "stream broke"
    assert last.sequence_number == len(events) - 1
    assert "response.completed" not in [e.type for e in events]
