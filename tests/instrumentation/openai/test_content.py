from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from agentotel import semconv
from agentotel.testing import Reply, ScriptedModel, ToolCall
from tests.instrumentation.openai.conftest import USER

pytestmark = pytest.mark.usefixtures("instrumented")


@pytest.fixture
def content() -> Any:
    return "SPAN_ONLY"


def attr_json(span: Any, name: str) -> Any:
    return json.loads(span.attributes[name])


def test_chat_messages_in_conventions_schema(
    client: openai.OpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="call_1")]))
    messages = [
        {"role": "system", "content": "You are terse."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Weather?"},
                {"type": "image_url", "image_url": {"url": "https://x.test/a.png"}},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_0",
                    "type": "function",
                    "function": {"name": "lookup", "arguments": '{"q": 1}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_0", "content": "42"},
    ]
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "d",
                "parameters": {"type": "object"},
            },
        }
    ]
    client.chat.completions.create(model="gpt-4o", messages=messages, tools=tools)
    (span,) = span_exporter.get_finished_spans()
    assert attr_json(span, semconv.GEN_AI_INPUT_MESSAGES) == [
        {"role": "system", "parts": [{"type": "text", "content": "You are terse."}]},
        {
            "role": "user",
            "parts": [
                {"type": "text", "content": "Weather?"},
                {"type": "uri", "modality": "image", "uri": "https://x.test/a.png"},
            ],
        },
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "id": "call_0", "name": "lookup", "arguments": {"q": 1}}
            ],
        },
        {
            "role": "tool",
            "parts": [{"type": "tool_call_response", "id": "call_0", "response": "42"}],
        },
    ]
    assert attr_json(span, semconv.GEN_AI_OUTPUT_MESSAGES) == [
        {
            "role": "assistant",
            "parts": [
                {
                    "type": "tool_call",
                    "id": "call_1",
                    "name": "get_weather",
                    "arguments": {"city": "Paris"},
                }
            ],
            "finish_reason": "tool_call",
        }
    ]
    assert attr_json(span, semconv.GEN_AI_TOOL_DEFINITIONS) == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "d",
            "parameters": {"type": "object"},
        }
    ]


def test_streamed_content_is_reassembled(
    client: openai.OpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(text="Hello there, Paris.", chunks=5))
    model.add(Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="call_9")], chunks=4))
    for _ in client.chat.completions.create(model="gpt-4o", messages=USER, stream=True):
        pass
    for _ in client.chat.completions.create(model="gpt-4o", messages=USER, stream=True):
        pass
    text_span, tool_span = span_exporter.get_finished_spans()
    assert attr_json(text_span, semconv.GEN_AI_OUTPUT_MESSAGES)[0]["parts"] == [
        {"type": "text", "content": "Hello there, Paris."}
    ]
    assert attr_json(tool_span, semconv.GEN_AI_OUTPUT_MESSAGES)[0]["parts"] == [
        {"type": "tool_call", "id": "call_9", "name": "get_weather", "arguments": {"city": "Paris"}}
    ]


def test_responses_content(client: openai.OpenAI, model: ScriptedModel, span_exporter: Any) -> None:
    model.add(Reply(text="Sunny", reasoning="thinking about weather"))
    client.responses.create(
        model="gpt-4.1",
        instructions="Be brief.",
        input=[
            {"role": "user", "content": "weather?"},
            {"type": "function_call", "call_id": "c1", "name": "w", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
        ],
    )
    (span,) = span_exporter.get_finished_spans()
    assert attr_json(span, semconv.GEN_AI_SYSTEM_INSTRUCTIONS) == [
        {"type": "text", "content": "Be brief."}
    ]
    inputs = attr_json(span, semconv.GEN_AI_INPUT_MESSAGES)
    assert inputs[1]["parts"][0]["type"] == "tool_call"
    assert inputs[2] == {
        "role": "tool",
        "parts": [{"type": "tool_call_response", "id": "c1", "response": "sunny"}],
    }
    output = attr_json(span, semconv.GEN_AI_OUTPUT_MESSAGES)[0]
    assert output["finish_reason"] == "stop"
    assert {"type": "text", "content": "Sunny"} in output["parts"]


def test_huge_and_binary_content_is_truncated_as_valid_json(
    tracer_provider: Any,
    meter_provider: Any,
    span_exporter: Any,
    model: ScriptedModel,
    client: openai.OpenAI,
    instrumented: Any,
) -> None:
    instrumented.uninstrument()
    instrumented.instrument(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        capture_content=True,
        max_content_length=300,
    )
    model.add(Reply(text="ok"))
    image = "data:image/png;base64," + "A" * 100_000
    client.chat.completions.create(
        model="gpt-4o",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "x" * 50_000},
                    {"type": "image_url", "image_url": {"url": image}},
                ],
            }
        ],
    )
    (span,) = span_exporter.get_finished_spans()
    raw = span.attributes[semconv.GEN_AI_INPUT_MESSAGES]
    assert len(raw) <= 300
    parts = json.loads(raw)[0]["parts"]
    assert [p["type"] for p in parts] == ["text", "blob"]
    assert span.attributes[semconv.AGENTOTEL_CONTENT_TRUNCATED] is True


def test_redactor_applies(
    tracer_provider: Any,
    meter_provider: Any,
    span_exporter: Any,
    model: ScriptedModel,
    client: openai.OpenAI,
    instrumented: Any,
) -> None:
    instrumented.uninstrument()

    def redact(name: str, value: Any) -> Any:
        return (
            None
            if name == semconv.GEN_AI_OUTPUT_MESSAGES
            else json.loads(json.dumps(value).replace("Paris", "[city]"))
        )

    instrumented.instrument(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        capture_content=True,
        redact=redact,
    )
    model.add(Reply(text="Paris is sunny"))
    client.chat.completions.create(model="gpt-4o", messages=USER)
    (span,) = span_exporter.get_finished_spans()
    assert "[city]" in span.attributes[semconv.GEN_AI_INPUT_MESSAGES]
    assert semconv.GEN_AI_OUTPUT_MESSAGES not in span.attributes


def test_one_shot_iterables_reach_the_sdk_untouched(
    client: openai.OpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    """Content capture never consumes a generator the caller passed."""
    model.add(Reply(text="ok"))
    messages = (m for m in [{"role": "user", "content": "from a generator"}])
    tools = (
        t
        for t in [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    )
    client.chat.completions.create(model="gpt-4o", messages=messages, tools=tools)
    sent = model.requests[-1].body
    assert sent["messages"] == [{"role": "user", "content": "from a generator"}]
    assert sent["tools"][0]["function"]["name"] == "f"
    (span,) = span_exporter.get_finished_spans()
    assert semconv.GEN_AI_INPUT_MESSAGES not in span.attributes  # not readable without consuming it
