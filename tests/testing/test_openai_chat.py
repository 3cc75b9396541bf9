"""The real openai SDK against the scripted chat-completions endpoint, over both transports."""

from __future__ import annotations

import json

import openai
import pytest

from agentotel.testing import Reply, ScriptedModel, ToolCall
from tests.testing.conftest import Clients

MESSAGES = [{"role": "user", "content": "What is the weather in Paris?"}]
WEATHER = ToolCall("get_weather", {"city": "Paris", "unit": "celsius"})


def test_plain_reply_with_usage(clients: Clients) -> None:
    model = ScriptedModel(
        [
            Reply(
                "Sunny.",
                input_tokens=20,
                output_tokens=5,
                cached_input_tokens=8,
                reasoning_tokens=2,
            )
        ]
    )
    client = clients.openai(model)

    result = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    assert result.object == "chat.completion"
    assert result.id.startswith("chatcmpl-")
    assert result.model == "gpt-4o"
    assert result.system_fingerprint and result.service_tier == "default"
    choice = result.choices[0]
    assert choice.message.content == "Sunny."
    assert choice.message.role == "assistant"
    assert choice.finish_reason == "stop"
    assert result.usage is not None
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (20, 5)
    assert result.usage.total_tokens == 25
    assert result.usage.prompt_tokens_details is not None
    assert result.usage.prompt_tokens_details.cached_tokens == 8
    assert result.usage.completion_tokens_details is not None
    assert result.usage.completion_tokens_details.reasoning_tokens == 2
    api, path, body = model.requests[0]
    assert (api, path) == ("openai.chat", "/v1/chat/completions")
    assert body["messages"] == MESSAGES


def test_estimated_usage_is_deterministic(clients: Clients) -> None:
    client = clients.openai(ScriptedModel(["Hello there", "Hello there"]))

    first = client.chat.completions.create(model="m", messages=MESSAGES)
    second = client.chat.completions.create(model="m", messages=MESSAGES)

    assert first.usage is not None and second.usage is not None
    assert first.usage.prompt_tokens == second.usage.prompt_tokens > 0
    assert first.usage.completion_tokens == second.usage.completion_tokens > 0


def test_tool_calls(clients: Clients) -> None:
    model = ScriptedModel([Reply(tool_calls=[WEATHER, ToolCall("now", {}, id="call_fixed")])])
    client = clients.openai(model)

    result = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    choice = result.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    calls = choice.message.tool_calls
    assert calls is not None and len(calls) == 2
    assert calls[0].type == "function"
    assert calls[0].id.startswith("call_")
    assert calls[0].function.name == "get_weather"
    assert json.loads(calls[0].function.arguments) == {"city": "Paris", "unit": "celsius"}
    assert calls[1].id == "call_fixed"


def test_exhausted_script_answers_ok(clients: Clients) -> None:
    client = clients.openai(ScriptedModel())

    result = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    assert result.choices[0].message.content == "ok"


def test_length_finish_reason(clients: Clients) -> None:
    client = clients.openai(ScriptedModel([Reply("cut", finish_reason="max_tokens")]))

    result = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    assert result.choices[0].finish_reason == "length"


def test_model_override_and_no_usage(clients: Clients) -> None:
    client = clients.openai(
        ScriptedModel([Reply("x", model="gpt-4o-2024-08-06", include_usage=False)])
    )

    result = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    assert result.model == "gpt-4o-2024-08-06"
    assert result.usage is None


def test_stream_text_with_usage_chunk(clients: Clients) -> None:
    model = ScriptedModel([Reply("one two three", chunks=3, input_tokens=9, output_tokens=3)])
    client = clients.openai(model)

    stream = client.chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)

    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    pieces = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert len(pieces) == 3 and "".join(pieces) == "one two three"
    with_choices = [c for c in chunks if c.choices]
    assert with_choices[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in with_choices)
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None and (last.usage.prompt_tokens, last.usage.completion_tokens) == (
        9,
        3,
    )


def test_stream_without_include_usage_has_no_usage(clients: Clients) -> None:
    client = clients.openai(ScriptedModel(["a b"]))

    chunks = list(client.chat.completions.create(model="m", messages=MESSAGES, stream=True))

    assert all(c.usage is None for c in chunks)
    assert all(c.choices for c in chunks)
    assert "usage" not in chunks[0].model_dump(exclude_unset=True)


def test_stream_tool_call_deltas_reassemble(clients: Clients) -> None:
    text_and_calls = Reply(
        "Let me check.", tool_calls=[WEATHER, ToolCall("lookup", '{"q": "x"}', id="call_q")]
    )
    client = clients.openai(ScriptedModel([text_and_calls]))

    stream = client.chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    content = ""
    calls: dict[int, dict[str, str]] = {}
    finish = None
    argument_deltas = 0
    for chunk in stream:
        for choice in chunk.choices:
            content += choice.delta.content or ""
            finish = choice.finish_reason or finish
            for delta in choice.delta.tool_calls or []:
                entry = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
                entry["id"] += delta.id or ""
                if delta.function is not None:
                    entry["name"] += delta.function.name or ""
                    entry["arguments"] += delta.function.arguments or ""
                    argument_deltas += bool(delta.function.arguments)

    assert content == "Let me check."
    assert finish == "tool_calls"
    assert calls[0]["name"] == "get_weather"
    assert json.loads(calls[0]["arguments"]) == {"city": "Paris", "unit": "celsius"}
    assert calls[1] == {"id": "call_q", "name": "lookup", "arguments": '{"q": "x"}'}
    assert argument_deltas > 2  # arguments really arrive in pieces


def test_stream_helper_final_completion(clients: Clients) -> None:
    client = clients.openai(ScriptedModel([Reply(tool_calls=[WEATHER], output_tokens=7)]))

    with client.chat.completions.stream(
        model="gpt-4o", messages=MESSAGES, stream_options={"include_usage": True}
    ) as stream:
        events = [event.type for event in stream]
        final = stream.get_final_completion()

    assert "tool_calls.function.arguments.delta" in events
    assert "tool_calls.function.arguments.done" in events
    call = final.choices[0].message.tool_calls
    assert call is not None
    assert call[0].function.name == "get_weather"
    assert json.loads(call[0].function.arguments) == {"city": "Paris", "unit": "celsius"}
    assert final.choices[0].finish_reason == "tool_calls"
    assert final.usage is not None and final.usage.completion_tokens == 7


async def test_async_client(clients: Clients) -> None:
    client = clients.async_openai(ScriptedModel(["first", Reply("second", chunks=2)]))

    result = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    stream = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    assert result.choices[0].message.content == "first"
    assert text == "second"
    await client.close()


async def test_async_delay_is_honoured(clients: Clients) -> None:
    client = clients.async_openai(ScriptedModel([Reply("slow", delay=0.01, chunk_delay=0.01)]))

    stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    assert text == "slow"
    await client.close()


def test_rate_limit_error(clients: Clients) -> None:
    client = clients.openai(ScriptedModel([Reply(status=429)]))

    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    error = caught.value
    assert error.status_code == 429
    assert error.response.headers["retry-after"] == "1"
    assert error.code == "rate_limit_exceeded"
    assert isinstance(error.body, dict) and error.body["type"] == "requests"


def test_server_error_and_custom_body(clients: Clients) -> None:
    custom = {"error": {"message": "boom", "type": "server_error", "param": None, "code": "x"}}
    client = clients.openai(
        ScriptedModel([Reply(status=500), Reply(status=503, error_body=custom)])
    )

    with pytest.raises(openai.InternalServerError) as first:
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    with pytest.raises(openai.InternalServerError) as second:
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    assert first.value.status_code == 500
    assert second.value.status_code == 503 and second.value.message.endswith("boom")


def test_error_on_stream_request(clients: Clients) -> None:
    client = clients.openai(ScriptedModel([Reply(status=429)]))

    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="m", messages=MESSAGES, stream=True)


def test_error_in_the_middle_of_a_stream(clients: Clients) -> None:
    body = {
        "error": {"message": "stream broke", "type": "server_error", "param": None, "code": None}
    }
    client = clients.openai(ScriptedModel([Reply("a b c d e f", error_body=body)]))

    stream = client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    received = []
    with pytest.raises(openai.APIError, match="stream broke"):
        for chunk in stream:
            received.append(chunk)

    assert received  # some chunks arrived before the error


def test_malformed_json_body(clients: Clients) -> None:
    client = clients.openai(ScriptedModel([Reply("x", malformed=True)]))

    with pytest.raises(Exception) as caught:
        client.chat.completions.create(model="m", messages=MESSAGES)

    assert not isinstance(caught.value, openai.APIStatusError)


def test_malformed_missing_fields(clients: Clients) -> None:
    client = clients.openai(ScriptedModel([Reply("x", malformed="fields")]))

    result = client.chat.completions.create(model="m", messages=MESSAGES)

    assert result.id.startswith("chatcmpl-")
    assert "choices" not in result.model_fields_set
    assert not getattr(result, "choices", None)  # the SDK fills missing fields with None


def test_malformed_stream(clients: Clients) -> None:
    client = clients.openai(ScriptedModel([Reply("a b c", malformed=True)]))

    stream = client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    with pytest.raises(ValueError):  # json.JSONDecodeError is a ValueError
        list(stream)


def test_raw_response_headers(clients: Clients) -> None:
    client = clients.openai(ScriptedModel([Reply("x", headers={"x-custom": "1"})]))

    raw = client.chat.completions.with_raw_response.create(model="m", messages=MESSAGES)

    assert raw.headers["x-custom"] == "1"
    assert raw.headers["x-request-id"].startswith("req_")
    assert raw.parse().choices[0].message.content == "x"


def test_reply_without_usage_suppresses_the_usage_chunk(clients: Clients) -> None:
    client = clients.openai(ScriptedModel([Reply("a b", include_usage=False)]))

    chunks = list(
        client.chat.completions.create(
            model="m", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )

    assert all(c.choices for c in chunks)
    assert all(c.usage is None for c in chunks)


def test_tool_loop_like_an_agent(clients: Clients) -> None:
    model = ScriptedModel([Reply(tool_calls=[WEATHER]), "It is 21 degrees in Paris."])
    client = clients.openai(model)
    messages: list[dict[str, object]] = list(MESSAGES)

    first = client.chat.completions.create(model="gpt-4o", messages=messages)  # type: ignore[arg-type]
    calls = first.choices[0].message.tool_calls
    assert calls is not None
    messages.append(first.choices[0].message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": calls[0].id, "content": "21C"})
    second = client.chat.completions.create(model="gpt-4o", messages=messages)  # type: ignore[arg-type]

    assert second.choices[0].message.content == "It is 21 degrees in Paris."
    sent = model.requests[1].body["messages"]
    assert sent[-1] == {"role": "tool", "tool_call_id": calls[0].id, "content": "21C"}
    assert sent[-2]["tool_calls"][0]["function"]["name"] == "get_weather"
