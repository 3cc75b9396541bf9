"""Message content: off by default; when on, the conventions' JSON schema, as for openai."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from google.genai import types

from agentotel.instrumentation.google_genai import extract
from agentotel.testing import Reply, ScriptedModel, ToolCall
from tests.instrumentation.google_genai.conftest import MODEL, get_weather, only_span

CONTENT_ATTRIBUTES = (
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.definitions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
)

DECLARATION = types.FunctionDeclaration(
    name="lookup",
    description="Look something up.",
    parameters_json_schema={"type": "object", "properties": {"q": {"type": "string"}}},
)


def request(client: Any, model: ScriptedModel) -> Any:
    model.add(Reply(text="Paris is sunny.", reasoning="Think about the weather."))
    return client.models.generate_content(
        model=MODEL,
        contents=[
            types.Content(role="user", parts=[types.Part.from_text(text="Weather in Paris?")]),
            types.Content(
                role="model",
                parts=[types.Part.from_function_call(name="lookup", args={"q": "Paris"})],
            ),
            types.Content(
                role="user",
                parts=[types.Part.from_function_response(name="lookup", response={"r": "sun"})],
            ),
            "And tomorrow?",
            types.Part.from_bytes(data=b"\x89PNG", mime_type="image/png"),
            types.Part.from_uri(file_uri="gs://bucket/doc.pdf", mime_type="application/pdf"),
        ],
        config=types.GenerateContentConfig(
            system_instruction="You are a weather bot.",
            tools=[types.Tool(function_declarations=[DECLARATION]), get_weather],
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        ),
    )


@pytest.mark.usefixtures("instrumented")
def test_content_is_off_by_default(client: Any, model: ScriptedModel, span_exporter: Any) -> None:
    request(client, model)
    model.add(Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]), Reply(text="ok"))
    client.models.generate_content(
        model=MODEL, contents="x", config=types.GenerateContentConfig(tools=[get_weather])
    )
    for span in span_exporter.get_finished_spans():
        assert not set(CONTENT_ATTRIBUTES) & set(span.attributes), span.name


@pytest.mark.parametrize("content", [True])
@pytest.mark.usefixtures("instrumented")
def test_content_schema(client: Any, model: ScriptedModel, span_exporter: Any) -> None:
    request(client, model)
    attrs = only_span(span_exporter).attributes
    assert json.loads(attrs["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]},
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "name": "lookup", "arguments": {"q": "Paris"}}],
        },
        {"role": "tool", "parts": [{"type": "tool_call_response", "response": {"r": "sun"}}]},
        {
            "role": "user",
            "parts": [
                {"type": "text", "content": "And tomorrow?"},
                {
                    "type": "blob",
                    "modality": "image",
                    "mime_type": "image/png",
                    "content": base64.b64encode(b"\x89PNG").decode(),
                },
                {
                    "type": "uri",
                    "modality": "document",
                    "mime_type": "application/pdf",
                    "uri": "gs://bucket/doc.pdf",
                },
            ],
        },
    ]
    assert json.loads(attrs["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [
                {"type": "reasoning", "content": "Think about the weather."},
                {"type": "text", "content": "Paris is sunny."},
            ],
            "finish_reason": "stop",
        }
    ]
    assert json.loads(attrs["gen_ai.system_instructions"]) == [
        {"type": "text", "content": "You are a weather bot."}
    ]
    assert json.loads(attrs["gen_ai.tool.definitions"]) == [
        {
            "type": "function",
            "name": "lookup",
            "description": "Look something up.",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        },
        {"type": "function", "name": "get_weather", "description": "Current weather for a city."},
    ]


@pytest.mark.parametrize("content", [True])
@pytest.mark.usefixtures("instrumented")
def test_streamed_output_is_joined(client: Any, model: ScriptedModel, span_exporter: Any) -> None:
    model.add(Reply(text="one two three", reasoning="hmm let me see"))
    list(client.models.generate_content_stream(model=MODEL, contents="Count"))
    output = json.loads(only_span(span_exporter).attributes["gen_ai.output.messages"])
    assert output == [
        {
            "role": "assistant",
            "parts": [
                {"type": "reasoning", "content": "hmm let me see"},
                {"type": "text", "content": "one two three"},
            ],
            "finish_reason": "stop",
        }
    ]


@pytest.mark.parametrize("content", [True])
@pytest.mark.usefixtures("instrumented")
def test_tool_arguments_and_result(client: Any, model: ScriptedModel, span_exporter: Any) -> None:
    model.add(Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]), Reply(text="ok"))
    client.models.generate_content(
        model=MODEL, contents="x", config=types.GenerateContentConfig(tools=[get_weather])
    )
    tool = next(s for s in span_exporter.get_finished_spans() if s.name.startswith("execute"))
    assert json.loads(tool.attributes["gen_ai.tool.call.arguments"]) == {"city": "Paris"}
    assert tool.attributes["gen_ai.tool.call.result"] == "21C and sunny in Paris"


@pytest.mark.parametrize("content", [True])
@pytest.mark.usefixtures("instrumented")
def test_chat_history_and_candidates(client: Any, model: ScriptedModel, span_exporter: Any) -> None:
    model.add(Reply(text="first"), Reply(text="second"))
    chat = client.chats.create(model=MODEL, config={"candidate_count": 2})
    chat.send_message("one")
    chat.send_message("two")
    last = span_exporter.get_finished_spans()[-1].attributes
    assert [m["role"] for m in json.loads(last["gen_ai.input.messages"])] == [
        "user",
        "assistant",
        "user",
    ]
    output = json.loads(last["gen_ai.output.messages"])
    assert [m["parts"][0]["content"] for m in output] == ["second", "second"]


def test_blocked_prompt(handler: Any, span_exporter: Any) -> None:
    """A prompt blocked before any candidate: the request ended by a content filter."""
    response = types.GenerateContentResponse(
        prompt_feedback=types.GenerateContentResponsePromptFeedback(
            block_reason=types.BlockedReason.SAFETY
        ),
        usage_metadata=types.GenerateContentResponseUsageMetadata(prompt_token_count=3),
    )
    inv = handler.inference("gcp.gemini", MODEL, "generate_content")
    extract.response(inv, response)
    inv.stop()
    attrs = only_span(span_exporter).attributes
    assert attrs["gen_ai.response.finish_reasons"] == ("content_filter",)
    assert attrs["gen_ai.usage.input_tokens"] == 3


@pytest.fixture
def handler(tracer_provider: Any) -> Any:
    from agentotel.telemetry import TelemetryHandler

    return TelemetryHandler(tracer_provider=tracer_provider)
