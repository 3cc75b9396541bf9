"""Message content, captured only when asked, in the same JSON schema as the other instrumentors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agentotel.testing import Reply, ToolCall
from tests.instrumentation.bedrock.conftest import (
    CLAUDE,
    LLAMA,
    NOVA,
    TOOL_CONFIG,
    anthropic_body,
    body,
    only_span,
)

pytestmark = pytest.mark.usefixtures("instrumented")

CONVERSATION = [
    {
        "role": "user",
        "content": [
            {"text": "Weather in Paris?"},
            {"image": {"format": "png", "source": {"bytes": b"\x89PNG"}}},
        ],
    },
    {
        "role": "assistant",
        "content": [
            {"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {"city": "Paris"}}}
        ],
    },
    {
        "role": "user",
        "content": [
            {
                "toolResult": {
                    "toolUseId": "t1",
                    "content": [{"json": {"temp": 21}}],
                    "status": "success",
                }
            },
            {"cachePoint": {"type": "default"}},
        ],
    },
]


@pytest.fixture
def content() -> Any:
    return True


def test_converse_content(client: Any, model: Any, span_exporter: Any) -> None:
    model.add(Reply(text="Sunny.", reasoning="Use the tool result."))
    client.converse(
        modelId=CLAUDE,
        messages=CONVERSATION,
        system=[{"text": "Be brief."}],
        toolConfig=TOOL_CONFIG,
    )
    attrs = only_span(span_exporter).attributes
    assert json.loads(attrs["gen_ai.input.messages"]) == [
        {
            "role": "user",
            "parts": [
                {"type": "text", "content": "Weather in Paris?"},
                {
                    "type": "blob",
                    "modality": "image",
                    "mime_type": "image/png",
                    "content": "iVBORw==",
                },
            ],
        },
        {
            "role": "assistant",
            "parts": [
                {
                    "type": "tool_call",
                    "id": "t1",
                    "name": "get_weather",
                    "arguments": {"city": "Paris"},
                }
            ],
        },
        {
            "role": "user",
            "parts": [{"type": "tool_call_response", "id": "t1", "response": {"temp": 21}}],
        },
    ]
    assert json.loads(attrs["gen_ai.system_instructions"]) == [
        {"type": "text", "content": "Be brief."}
    ]
    assert json.loads(attrs["gen_ai.tool.definitions"]) == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "Current weather for a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        }
    ]
    assert json.loads(attrs["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "parts": [
                {"type": "reasoning", "content": "Use the tool result."},
                {"type": "text", "content": "Sunny."},
            ],
            "finish_reason": "stop",
        }
    ]


def test_converse_stream_content(client: Any, model: Any, span_exporter: Any) -> None:
    model.add(
        Reply(text="Checking.", tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="t9")])
    )
    for _event in client.converse_stream(modelId=NOVA, messages=CONVERSATION[:1])["stream"]:
        pass
    output = json.loads(only_span(span_exporter).attributes["gen_ai.output.messages"])
    assert output == [
        {
            "role": "assistant",
            "parts": [
                {"type": "text", "content": "Checking."},
                {
                    "type": "tool_call",
                    "id": "t9",
                    "name": "get_weather",
                    "arguments": {"city": "Paris"},
                },
            ],
            "finish_reason": "tool_call",
        }
    ]


@pytest.mark.parametrize("stream", [False, True])
def test_invoke_content(client: Any, model: Any, span_exporter: Any, stream: bool) -> None:
    model.add(Reply(text="Hi!"), Reply(text="Hello!"), Reply(text="Hey!"))
    calls = [
        (CLAUDE, anthropic_body(system="Be brief.")),
        (
            NOVA,
            body(
                messages=[{"role": "user", "content": [{"text": "What is the weather in Paris?"}]}]
            ),
        ),
        (LLAMA, body(prompt="What is the weather in Paris?")),
    ]
    for model_id, request in calls:
        if stream:
            for _event in client.invoke_model_with_response_stream(modelId=model_id, body=request)[
                "body"
            ]:
                pass
        else:
            client.invoke_model(modelId=model_id, body=request)["body"].read()
    spans = span_exporter.get_finished_spans()
    outputs = [json.loads(s.attributes["gen_ai.output.messages"]) for s in spans]
    assert [o[0]["parts"][0]["content"] for o in outputs] == ["Hi!", "Hello!", "Hey!"]
    assert all(o[0]["finish_reason"] == "stop" for o in outputs)
    for span in spans:
        (message,) = json.loads(span.attributes["gen_ai.input.messages"])
        assert message["parts"][0]["content"] == "What is the weather in Paris?"
    assert json.loads(spans[0].attributes["gen_ai.system_instructions"]) == [
        {"type": "text", "content": "Be brief."}
    ]
