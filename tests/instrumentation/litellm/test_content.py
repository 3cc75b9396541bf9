"""Content capture: off by default (see test_completion), the openai JSON schema when on."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agentotel.testing import Reply, ToolCall
from tests.instrumentation.litellm.conftest import TOOLS, USER, anthropic_args, only_span

pytestmark = pytest.mark.usefixtures("instrumented")


@pytest.fixture
def content() -> Any:
    return True


def test_content_captured(litellm: Any, server: Any, span_exporter: Any) -> None:
    server.model.add(
        Reply("Let me look.", tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="toolu_7")])
    )
    messages = [{"role": "system", "content": "Be brief."}, *USER]
    litellm.completion(messages=messages, tools=TOOLS, **anthropic_args(server))
    attrs = only_span(span_exporter).attributes
    assert json.loads(attrs["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "What is the weather in Paris?"}]},
    ]
    assert json.loads(attrs["gen_ai.tool.definitions"])[0]["name"] == "get_weather"
    (output,) = json.loads(attrs["gen_ai.output.messages"])
    assert output["role"] == "assistant"
    assert output["finish_reason"] == "tool_call"
    assert output["parts"] == [
        {"type": "text", "content": "Let me look."},
        {
            "type": "tool_call",
            "id": "toolu_7",
            "name": "get_weather",
            "arguments": {"city": "Paris"},
        },
    ]
