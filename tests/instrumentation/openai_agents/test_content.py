"""Content capture on: messages, instructions, tool definitions, tool arguments and results."""

from __future__ import annotations

import json
from typing import Any

import pytest
from agents import Runner

from agentotel import semconv
from tests.instrumentation.openai_agents.conftest import MODEL, by_name

pytestmark = pytest.mark.usefixtures("instrument")


@pytest.fixture
def content() -> Any:
    return "span_only"


@pytest.mark.parametrize("stream", [False, True], ids=["run", "run_streamed"])
async def test_content_on(
    openai_instrumentor: bool, agents: Any, span_exporter: Any, model_kind: str, stream: bool
) -> None:
    triage, _ = agents
    if stream:
        result = Runner.run_streamed(triage, "What is 1 + 2?")
        async for _ in result.stream_events():
            pass
    else:
        await Runner.run(triage, "What is 1 + 2?")
    spans = span_exporter.get_finished_spans()
    get = by_name(spans)

    tool = get("execute_tool add")
    assert json.loads(tool.attributes[semconv.GEN_AI_TOOL_CALL_ARGUMENTS]) == {"x": 1, "y": 2}
    assert tool.attributes[semconv.GEN_AI_TOOL_CALL_RESULT] == "3"

    root = get("invoke_workflow Agent workflow")
    inputs = json.loads(root.attributes[semconv.GEN_AI_INPUT_MESSAGES])
    assert inputs == [{"role": "user", "parts": [{"type": "text", "content": "What is 1 + 2?"}]}]
    outputs = json.loads(root.attributes[semconv.GEN_AI_OUTPUT_MESSAGES])
    assert outputs[0]["parts"][0]["content"] == "3"

    chats = [s for s in spans if s.name == f"chat {MODEL}"]
    first = chats[0].attributes
    assert json.loads(first[semconv.GEN_AI_SYSTEM_INSTRUCTIONS]) == [
        {"type": "text", "content": "Route."}
    ]
    assert json.loads(first[semconv.GEN_AI_INPUT_MESSAGES])[0]["role"] == "user"
    tools = {t["name"] for t in json.loads(first[semconv.GEN_AI_TOOL_DEFINITIONS])}
    assert tools == {"add", "broken", "transfer_to_math"}
    output = json.loads(first[semconv.GEN_AI_OUTPUT_MESSAGES])
    call = output[0]["parts"][0]
    assert call["type"] == "tool_call"
    assert call["name"] == "add"
    assert call["id"] == "call_add"
    last = json.loads(chats[-1].attributes[semconv.GEN_AI_OUTPUT_MESSAGES])
    assert last[0]["parts"][0]["content"] == "3"


async def test_sdk_sensitive_data_off_still_captures_arguments(
    agents: Any, span_exporter: Any, model_kind: str
) -> None:
    """agentotel's content policy, not the SDK's trace setting, decides what it records."""
    from agents import RunConfig

    triage, _ = agents
    await Runner.run(
        triage, "What is 1 + 2?", run_config=RunConfig(trace_include_sensitive_data=False)
    )
    tool = by_name(span_exporter.get_finished_spans())("execute_tool add")
    assert json.loads(tool.attributes[semconv.GEN_AI_TOOL_CALL_ARGUMENTS]) == {"x": 1, "y": 2}
