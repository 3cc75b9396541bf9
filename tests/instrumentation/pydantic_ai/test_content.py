"""Content capture: off by default, agentotel's redaction and truncation when on."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic_ai import Agent
from pydantic_ai.messages import BinaryContent
from pydantic_ai.models.test import TestModel

from agentotel import _config, semconv
from tests.instrumentation.pydantic_ai.conftest import by_name

pytestmark = pytest.mark.usefixtures("instrument")

CONTENT_KEYS = {
    semconv.GEN_AI_INPUT_MESSAGES,
    semconv.GEN_AI_OUTPUT_MESSAGES,
    semconv.GEN_AI_SYSTEM_INSTRUCTIONS,
    semconv.GEN_AI_TOOL_DEFINITIONS,
    semconv.GEN_AI_TOOL_CALL_ARGUMENTS,
    semconv.GEN_AI_TOOL_CALL_RESULT,
}


def secret_agent() -> Agent[None, str]:
    agent = Agent(TestModel(), name="spy", instructions="Never reveal the code.")

    @agent.tool_plain
    def vault(code: str) -> str:
        """Open the vault."""
        return f"opened with {code}"

    return agent


def test_content_is_off_by_default(span_exporter: Any) -> None:
    secret_agent().run_sync("The code is 1234")

    for span in span_exporter.get_finished_spans():
        assert not CONTENT_KEYS & set(span.attributes), span.name
        assert "1234" not in json.dumps(dict(span.attributes))


@pytest.mark.parametrize("content", [True])
def test_content_on(content: Any, span_exporter: Any) -> None:
    secret_agent().run_sync("The code is 1234")

    get = by_name(span_exporter.get_finished_spans())
    chat = get("chat test")
    assert json.loads(chat.attributes[semconv.GEN_AI_INPUT_MESSAGES]) == [
        {"role": "user", "parts": [{"type": "text", "content": "The code is 1234"}]}
    ]
    assert json.loads(chat.attributes[semconv.GEN_AI_SYSTEM_INSTRUCTIONS]) == [
        {"type": "text", "content": "Never reveal the code."}
    ]
    [definition] = json.loads(chat.attributes[semconv.GEN_AI_TOOL_DEFINITIONS])
    assert definition["name"] == "vault"
    assert definition["description"] == "Open the vault."
    [output] = json.loads(chat.attributes[semconv.GEN_AI_OUTPUT_MESSAGES])
    assert output["finish_reason"] == "tool_call"
    assert output["parts"][0]["type"] == "tool_call"
    assert output["parts"][0]["name"] == "vault"

    tool = get("execute_tool vault")
    assert json.loads(tool.attributes[semconv.GEN_AI_TOOL_CALL_ARGUMENTS]) == {"code": "a"}
    assert tool.attributes[semconv.GEN_AI_TOOL_CALL_RESULT] == "opened with a"

    root = get("invoke_agent spy")
    assert json.loads(root.attributes[semconv.GEN_AI_INPUT_MESSAGES])[0]["parts"] == [
        {"type": "text", "content": "The code is 1234"}
    ]
    [final] = json.loads(root.attributes[semconv.GEN_AI_OUTPUT_MESSAGES])
    assert final["parts"] == [{"type": "text", "content": '{"vault":"opened with a"}'}]

    # The second request carries the history: the call and the tool's answer.
    last_chat = [s for s in span_exporter.get_finished_spans() if s.name == "chat test"][-1]
    history = json.loads(last_chat.attributes[semconv.GEN_AI_INPUT_MESSAGES])
    assert [m["role"] for m in history] == ["user", "assistant", "tool"]
    assert history[2]["parts"][0]["type"] == "tool_call_response"
    assert history[2]["parts"][0]["response"] == "opened with a"


def _redact(name: str, value: Any) -> Any:
    if name == semconv.GEN_AI_TOOL_CALL_RESULT:
        return None
    return json.loads(json.dumps(value).replace("1234", "[REDACTED]"))


@pytest.mark.parametrize(
    "settings", [_config.from_env({}, content=True, redact=_redact, max_content_length=400)]
)
def test_redaction_and_truncation_apply(settings: _config.Settings, span_exporter: Any) -> None:
    agent = secret_agent()
    agent.run_sync(["The code is 1234. " + "x" * 2000])

    spans = span_exporter.get_finished_spans()
    text = json.dumps([dict(s.attributes) for s in spans])
    assert "1234" not in text
    assert "[REDACTED]" in text
    tool = by_name(spans)("execute_tool vault")
    assert semconv.GEN_AI_TOOL_CALL_RESULT not in tool.attributes
    chat = by_name(spans)("chat test")
    messages = chat.attributes[semconv.GEN_AI_INPUT_MESSAGES]
    assert len(messages) <= 400
    assert json.loads(messages)[0]["role"] == "user"
    assert chat.attributes[semconv.AGENTOTEL_CONTENT_TRUNCATED] is True


@pytest.mark.parametrize("content", [True])
def test_binary_user_content_is_a_blob(content: Any, span_exporter: Any) -> None:
    agent = Agent(TestModel(), name="vision")
    agent.run_sync(["Describe", BinaryContent(data=b"\x89PNG", media_type="image/png")])

    chat = by_name(span_exporter.get_finished_spans())("chat test")
    [message] = json.loads(chat.attributes[semconv.GEN_AI_INPUT_MESSAGES])
    assert message["parts"] == [
        {"type": "text", "content": "Describe"},
        {"type": "blob", "modality": "image", "mime_type": "image/png", "content": "iVBORw=="},
    ]
