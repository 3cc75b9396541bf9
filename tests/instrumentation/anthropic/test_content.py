"""Content capture (opt-in): the conventions' JSON for Anthropic messages, system prompt and tools."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import pytest

from agentotel.testing import Reply, ScriptedModel, ToolCall
from tests.instrumentation.anthropic.conftest import MODEL, TOOLS, only_span

pytestmark = pytest.mark.usefixtures("instrumented")


@pytest.fixture
def content() -> Any:
    return True


CONVERSATION: list[dict[str, Any]] = [
    {"role": "user", "content": "What is the weather in Paris?"},
    {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "Use the tool.", "signature": "sig"},
            {
                "type": "tool_use",
                "id": "toolu_1",
                "name": "get_weather",
                "input": {"city": "Paris"},
            },
        ],
    },
    {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny, 21C"}],
    },
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "And this picture?"},
            {
                "type": "image",
                "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw=="},
            },
            {"type": "image", "source": {"type": "url", "url": "https://example.test/p.png"}},
        ],
    },
]

INPUT = [
    {"role": "user", "parts": [{"type": "text", "content": "What is the weather in Paris?"}]},
    {
        "role": "assistant",
        "parts": [
            {"type": "reasoning", "content": "Use the tool."},
            {
                "type": "tool_call",
                "id": "toolu_1",
                "name": "get_weather",
                "arguments": {"city": "Paris"},
            },
        ],
    },
    {
        "role": "tool",
        "parts": [{"type": "tool_call_response", "id": "toolu_1", "response": "sunny, 21C"}],
    },
    {
        "role": "user",
        "parts": [
            {"type": "text", "content": "And this picture?"},
            {"type": "blob", "modality": "image", "mime_type": "image/png", "content": "iVBORw=="},
            {"type": "uri", "modality": "image", "uri": "https://example.test/p.png"},
        ],
    },
]

SYSTEM = [{"type": "text", "content": "Be brief."}]
DEFINITIONS = [
    {
        "type": "function",
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
]
OUTPUT = [
    {
        "role": "assistant",
        "parts": [
            {"type": "reasoning", "content": "Another look."},
            {"type": "text", "content": "Let me check."},
            {
                "type": "tool_call",
                "id": "toolu_2",
                "name": "get_weather",
                "arguments": {"city": "Lyon"},
            },
        ],
        "finish_reason": "tool_call",
    }
]


def scripted() -> Reply:
    return Reply(
        "Let me check.",
        reasoning="Another look.",
        tool_calls=[ToolCall("get_weather", {"city": "Lyon"}, id="toolu_2")],
    )


def content_of(span: Any) -> dict[str, Any]:
    return {
        key: json.loads(span.attributes[key])
        for key in (
            "gen_ai.input.messages",
            "gen_ai.output.messages",
            "gen_ai.system_instructions",
            "gen_ai.tool.definitions",
        )
        if key in span.attributes
    }


def test_create_content(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(scripted())
    client.messages.create(
        model=MODEL,
        max_tokens=100,
        system="Be brief.",
        messages=CONVERSATION,  # type: ignore[arg-type]
        tools=TOOLS,  # type: ignore[arg-type]
    )
    assert content_of(only_span(span_exporter)) == {
        "gen_ai.input.messages": INPUT,
        "gen_ai.output.messages": OUTPUT,
        "gen_ai.system_instructions": SYSTEM,
        "gen_ai.tool.definitions": DEFINITIONS,
    }


def test_stream_content(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(scripted())
    with client.messages.stream(
        model=MODEL,
        max_tokens=100,
        system=[{"type": "text", "text": "Be brief."}],
        messages=CONVERSATION,  # type: ignore[arg-type]
        tools=TOOLS,  # type: ignore[arg-type]
    ) as stream:
        stream.until_done()
    assert content_of(only_span(span_exporter)) == {
        "gen_ai.input.messages": INPUT,
        "gen_ai.output.messages": OUTPUT,
        "gen_ai.system_instructions": SYSTEM,
        "gen_ai.tool.definitions": DEFINITIONS,
    }


async def test_async_stream_content(
    aclient: anthropic.AsyncAnthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply("Sunny.", chunks=3))
    stream = await aclient.messages.create(
        model=MODEL,
        max_tokens=100,
        messages=[{"role": "user", "content": "Weather?"}],
        stream=True,
    )
    async for _ in stream:
        pass
    assert content_of(only_span(span_exporter))["gen_ai.output.messages"] == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "Sunny."}],
            "finish_reason": "stop",
        }
    ]


def test_tool_result_blocks_and_server_tools() -> None:
    from agentotel.instrumentation.anthropic import extract

    messages = [
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_3",
                    "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
                },
                {"type": "text", "text": "thanks"},
            ],
        },
        {"role": "assistant", "content": [{"type": "redacted_thinking", "data": "xx"}]},
    ]
    assert extract.input_messages(messages) == [
        {
            "role": "user",
            "parts": [
                {"type": "tool_call_response", "id": "toolu_3", "response": "ab"},
                {"type": "text", "content": "thanks"},
            ],
        },
        {"role": "assistant", "parts": [{"type": "redacted_thinking"}]},
    ]
    assert extract.tool_definitions([{"type": "web_search_20250305", "name": "web_search"}]) == [
        {"type": "web_search_20250305", "name": "web_search"}
    ]


def test_malformed_content_degrades() -> None:
    from agentotel.instrumentation.anthropic import extract

    assert extract.input_messages("not a list") == []
    assert extract.input_messages([{"role": 3, "content": 5}]) == [
        {"role": "user", "parts": [{"type": "unknown"}]}
    ]
    assert extract.system_instructions(42) is None
    assert extract.tool_definitions(None) is None


def test_one_shot_iterators_are_captured_as_the_sdk_reads_them(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    """Content given as generators: the SDK alone consumes them, and the span still shows it."""
    model.add(scripted())
    consumed: list[str] = []

    def once(name: str, items: list[Any]) -> Any:
        consumed.append(name)
        yield from items

    client.messages.create(
        model=MODEL,
        max_tokens=100,
        system=once("system", [{"type": "text", "text": "Be brief."}]),  # type: ignore[arg-type]
        messages=once(  # type: ignore[arg-type]
            "messages",
            [{"role": "user", "content": once("blocks", [{"type": "text", "text": "Hi"}])}],
        ),
        tools=once("tools", TOOLS),  # type: ignore[arg-type]
    )
    assert sorted(consumed) == ["blocks", "messages", "system", "tools"]  # once each
    sent = model.requests[-1].body
    assert sent["messages"] == [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]
    assert sent["tools"] == TOOLS
    captured = content_of(only_span(span_exporter))
    assert captured["gen_ai.input.messages"] == [
        {"role": "user", "parts": [{"type": "text", "content": "Hi"}]}
    ]
    assert captured["gen_ai.system_instructions"] == [{"type": "text", "content": "Be brief."}]
    assert [d["name"] for d in captured["gen_ai.tool.definitions"]] == ["get_weather"]


def test_file_backed_blob_data_is_never_read() -> None:
    import io

    from agentotel.instrumentation.anthropic.extract import content_parts

    block = {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": io.BytesIO(b"x")},
    }
    assert content_parts([block, {"type": "text", "text": "t"}]) == [
        {"type": "text", "content": "t"}
    ]
