"""The real anthropic SDK against the scripted messages endpoints, over both transports."""

from __future__ import annotations

import anthropic
import pytest

from agentotel.testing import Reply, ScriptedModel, ToolCall
from tests.testing.conftest import Clients

MODEL = "claude-sonnet-4-5"
MESSAGES = [{"role": "user", "content": "What is the weather in Paris?"}]
TOOLS = [
    {
        "name": "get_weather",
        "description": "Weather for a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
]
WEATHER = ToolCall("get_weather", {"city": "Paris"})


def test_create_text_with_cache_usage(clients: Clients) -> None:
    reply = Reply(
        "Sunny.",
        input_tokens=10,
        output_tokens=4,
        cached_input_tokens=30,
        cache_creation_input_tokens=5,
    )
    model = ScriptedModel([reply])
    client = clients.anthropic(model)

    message = client.messages.create(model=MODEL, max_tokens=100, messages=MESSAGES)  # type: ignore[arg-type]

    assert message.type == "message" and message.role == "assistant"
    assert message.id.startswith("msg_")
    assert message.model == MODEL
    assert message.stop_reason == "end_turn"
    assert message.content[0].type == "text" and message.content[0].text == "Sunny."
    usage = message.usage
    assert (usage.input_tokens, usage.output_tokens) == (10, 4)
    assert usage.cache_read_input_tokens == 30
    assert usage.cache_creation_input_tokens == 5
    assert model.requests[0][:2] == ("anthropic.messages", "/v1/messages")


def test_create_tool_use_and_thinking(clients: Clients) -> None:
    reply = Reply(
        reasoning="Look it up.", text="Checking.", tool_calls=[WEATHER], reasoning_tokens=6
    )
    client = clients.anthropic(ScriptedModel([reply]))

    message = client.messages.create(
        model=MODEL,
        max_tokens=100,
        messages=MESSAGES,  # type: ignore[arg-type]
        tools=TOOLS,  # type: ignore[arg-type]
    )

    assert [b.type for b in message.content] == ["thinking", "text", "tool_use"]
    thinking, text, tool = message.content
    assert thinking.type == "thinking" and thinking.thinking == "Look it up." and thinking.signature
    assert text.type == "text" and text.text == "Checking."
    assert tool.type == "tool_use" and tool.id.startswith("toolu_")
    assert tool.name == "get_weather" and tool.input == {"city": "Paris"}
    assert message.stop_reason == "tool_use"


def test_max_tokens_stop_reason(clients: Clients) -> None:
    client = clients.anthropic(ScriptedModel([Reply("cut", finish_reason="length")]))

    message = client.messages.create(model=MODEL, max_tokens=1, messages=MESSAGES)  # type: ignore[arg-type]

    assert message.stop_reason == "max_tokens"


def test_raw_stream_events(clients: Clients) -> None:
    reply = Reply("Hello there", tool_calls=[WEATHER], input_tokens=11, output_tokens=9)
    client = clients.anthropic(ScriptedModel([reply]))

    events = list(
        client.messages.create(model=MODEL, max_tokens=100, messages=MESSAGES, stream=True)  # type: ignore[arg-type]
    )

    types = [e.type for e in events]
    assert types[0] == "message_start" and types[-1] == "message_stop"
    assert types[-2] == "message_delta"
    assert types.count("content_block_start") == types.count("content_block_stop") == 2
    start = events[0]
    assert start.type == "message_start" and start.message.usage.input_tokens == 11
    delta = events[-2]
    assert delta.type == "message_delta"
    assert delta.delta.stop_reason == "tool_use" and delta.usage.output_tokens == 9
    json_deltas = [
        e.delta.partial_json
        for e in events
        if e.type == "content_block_delta" and e.delta.type == "input_json_delta"
    ]
    assert len([j for j in json_deltas if j]) >= 2
    assert "".join(json_deltas) == '{"city": "Paris"}'


def test_stream_helper_final_message(clients: Clients) -> None:
    reply = Reply(
        reasoning="Think about Paris.",
        text="Let me look.",
        tool_calls=[WEATHER, ToolCall("now", '{"tz": "CET"}', id="toolu_fixed")],
        cached_input_tokens=7,
    )
    client = clients.anthropic(ScriptedModel([reply]))

    with client.messages.stream(
        model=MODEL,
        max_tokens=100,
        messages=MESSAGES,  # type: ignore[arg-type]
        tools=TOOLS,  # type: ignore[arg-type]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()

    assert text == "Let me look."
    assert [b.type for b in final.content] == ["thinking", "text", "tool_use", "tool_use"]
    thinking = final.content[0]
    assert thinking.type == "thinking"
    assert thinking.thinking == "Think about Paris." and thinking.signature
    first, second = final.content[2], final.content[3]
    assert first.type == "tool_use" and first.input == {"city": "Paris"}
    assert (
        second.type == "tool_use" and second.id == "toolu_fixed" and second.input == {"tz": "CET"}
    )
    assert final.stop_reason == "tool_use"
    assert final.usage.cache_read_input_tokens == 7
    assert final.usage.output_tokens > 1


async def test_async_create_and_stream(clients: Clients) -> None:
    client = clients.async_anthropic(ScriptedModel(["one", Reply("two words", chunks=2)]))

    message = await client.messages.create(model=MODEL, max_tokens=10, messages=MESSAGES)  # type: ignore[arg-type]
    async with client.messages.stream(model=MODEL, max_tokens=10, messages=MESSAGES) as stream:  # type: ignore[arg-type]
        pieces = [piece async for piece in stream.text_stream]
        final = await stream.get_final_message()

    assert message.content[0].type == "text" and message.content[0].text == "one"
    assert pieces == ["two w", "ords"]  # chunks=2 splits into two near-equal parts
    assert final.content[0].type == "text" and final.content[0].text == "two words"
    await client.close()


def test_count_tokens_does_not_consume_the_script(clients: Clients) -> None:
    model = ScriptedModel(["scripted"])
    client = clients.anthropic(model)

    counted = client.messages.count_tokens(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]
    message = client.messages.create(model=MODEL, max_tokens=10, messages=MESSAGES)  # type: ignore[arg-type]

    assert counted.input_tokens > 0
    assert message.content[0].type == "text" and message.content[0].text == "scripted"
    assert model.requests[0].api == "anthropic.count_tokens"


def test_count_tokens_from_a_callable_script(clients: Clients) -> None:
    def script(body: dict[str, object], api: str) -> Reply:
        return Reply(input_tokens=42) if api == "anthropic.count_tokens" else Reply("x")

    client = clients.anthropic(ScriptedModel(script))

    counted = client.messages.count_tokens(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]

    assert counted.input_tokens == 42


def test_beta_messages(clients: Clients) -> None:
    model = ScriptedModel([Reply("beta", tool_calls=[WEATHER]), "beta stream"])
    client = clients.anthropic(model)

    message = client.beta.messages.create(
        model=MODEL,
        max_tokens=10,
        messages=MESSAGES,  # type: ignore[arg-type]
        betas=["token-efficient-tools-2025-02-19"],
    )
    with client.beta.messages.stream(model=MODEL, max_tokens=10, messages=MESSAGES) as stream:  # type: ignore[arg-type]
        final = stream.get_final_message()
    counted = client.beta.messages.count_tokens(model=MODEL, messages=MESSAGES)  # type: ignore[arg-type]

    assert [b.type for b in message.content] == ["text", "tool_use"]
    assert final.content[0].type == "text" and final.content[0].text == "beta stream"
    assert counted.input_tokens > 0
    # anthropic 2.x sends beta calls to the plain path; older SDKs add ?beta=true (both work).
    assert model.requests[0].path == "/v1/messages"
    assert model.requests[0].headers["anthropic-beta"] == "token-efficient-tools-2025-02-19"
    assert model.requests[2].api == "anthropic.count_tokens"


def test_rate_limit_with_retry_after(clients: Clients) -> None:
    client = clients.anthropic(ScriptedModel([Reply(status=429)]))

    with pytest.raises(anthropic.RateLimitError) as caught:
        client.messages.create(model=MODEL, max_tokens=10, messages=MESSAGES)  # type: ignore[arg-type]

    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"] == "1"
    body = caught.value.body
    assert isinstance(body, dict) and body["error"]["type"] == "rate_limit_error"


def test_overloaded(clients: Clients) -> None:
    client = clients.anthropic(ScriptedModel([Reply(status=529)]))

    with pytest.raises(anthropic.APIStatusError) as caught:
        client.messages.create(model=MODEL, max_tokens=10, messages=MESSAGES)  # type: ignore[arg-type]

    assert caught.value.status_code == 529
    body = caught.value.body
    assert isinstance(body, dict) and body["error"]["type"] == "overloaded_error"
    assert type(caught.value).__name__ == "OverloadedError"


def test_overloaded_in_the_middle_of_a_stream(clients: Clients) -> None:
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    client = clients.anthropic(ScriptedModel([Reply("a b c d e f g h", error_body=error)]))

    stream = client.messages.create(model=MODEL, max_tokens=10, messages=MESSAGES, stream=True)  # type: ignore[arg-type]
    received = []
    with pytest.raises(anthropic.APIStatusError, match="Overloaded"):
        for event in stream:
            received.append(event.type)

    assert received[0] == "message_start"


def test_malformed(clients: Clients) -> None:
    client = clients.anthropic(
        ScriptedModel([Reply("x", malformed=True), Reply("y", malformed=True)])
    )

    with pytest.raises(Exception) as caught:
        client.messages.create(model=MODEL, max_tokens=10, messages=MESSAGES)  # type: ignore[arg-type]
    assert not isinstance(caught.value, anthropic.APIStatusError)
    stream = client.messages.create(model=MODEL, max_tokens=10, messages=MESSAGES, stream=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        list(stream)


def test_tool_loop_answered_by_a_callable_script(clients: Clients) -> None:
    def script(body: dict[str, object], api: str) -> Reply:
        last = body["messages"][-1]  # type: ignore[index]
        content = last["content"]
        if isinstance(content, list) and content[0]["type"] == "tool_result":
            return Reply(f"The tool said {content[0]['content']}.")
        return Reply(tool_calls=[WEATHER])

    client = clients.anthropic(ScriptedModel(script))
    messages: list[dict[str, object]] = list(MESSAGES)

    first = client.messages.create(model=MODEL, max_tokens=50, messages=messages, tools=TOOLS)  # type: ignore[arg-type]
    tool = first.content[0]
    assert tool.type == "tool_use"
    messages.append({"role": "assistant", "content": [b.model_dump() for b in first.content]})
    messages.append(
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": tool.id, "content": "21C"}],
        }
    )
    second = client.messages.create(model=MODEL, max_tokens=50, messages=messages, tools=TOOLS)  # type: ignore[arg-type]

    assert second.content[0].type == "text" and second.content[0].text == "The tool said 21C."
