"""A run is one trace: root, one span per agent, tool and model request, in the right place."""

from __future__ import annotations

from typing import Any

import pytest
from agents import Runner
from opentelemetry.trace import SpanKind, StatusCode

from agentotel import semconv
from tests.conftest import metric_points, tree
from tests.instrumentation.openai_agents.conftest import MODEL, by_name

pytestmark = pytest.mark.usefixtures("instrument")

EXPECTED_TREE = [
    "invoke_workflow Agent workflow",
    "  invoke_agent triage",
    f"    chat {MODEL}",
    "    execute_tool add",
    f"    chat {MODEL}",
    "  invoke_agent math",
    f"    chat {MODEL}",
]


async def test_run_with_tool_and_handoff(
    openai_instrumentor: bool,
    agents: Any,
    span_exporter: Any,
    metric_reader: Any,
    ends: Any,
    model_kind: str,
) -> None:
    triage, _ = agents
    result = await Runner.run(triage, "What is 1 + 2?")
    assert result.final_output == "3"

    spans = span_exporter.get_finished_spans()
    assert tree(spans) == EXPECTED_TREE  # exactly one chat span per model request
    ends.assert_all_ended_once()
    assert {s.context.trace_id for s in spans} == {spans[0].context.trace_id}
    get = by_name(spans)

    root = get("invoke_workflow Agent workflow")
    assert root.attributes[semconv.GEN_AI_OPERATION_NAME] == semconv.OP_INVOKE_WORKFLOW
    assert root.attributes[semconv.GEN_AI_WORKFLOW_NAME] == "Agent workflow"
    assert root.status.status_code is StatusCode.UNSET

    for name in ("triage", "math"):
        agent = get(f"invoke_agent {name}")
        assert agent.attributes[semconv.GEN_AI_AGENT_NAME] == name
        assert agent.attributes[semconv.GEN_AI_PROVIDER_NAME] == "openai"
        assert agent.attributes[semconv.GEN_AI_REQUEST_MODEL] == MODEL
        assert agent.attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] > 0
    assert get("invoke_agent triage").attributes[semconv.AGENTOTEL_HANDOFF_TO_AGENT] == "math"

    tool = get("execute_tool add")
    assert tool.attributes[semconv.GEN_AI_TOOL_CALL_ID] == "call_add"
    assert tool.attributes[semconv.GEN_AI_TOOL_TYPE] == "function"
    assert semconv.GEN_AI_TOOL_CALL_ARGUMENTS not in tool.attributes  # content is off
    assert semconv.GEN_AI_TOOL_CALL_RESULT not in tool.attributes

    chats = [s for s in spans if s.name == f"chat {MODEL}"]
    for chat in chats:
        assert chat.kind is SpanKind.CLIENT
        assert chat.instrumentation_scope.name == "agentotel"
        attrs = chat.attributes
        assert attrs[semconv.GEN_AI_PROVIDER_NAME] == "openai"
        assert attrs[semconv.SERVER_ADDRESS] == "api.openai.test"
        assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] > 0
        assert attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] > 0
        assert attrs[semconv.GEN_AI_RESPONSE_ID]
        assert attrs[semconv.GEN_AI_RESPONSE_MODEL] == MODEL
        assert semconv.GEN_AI_INPUT_MESSAGES not in attrs
    # As the openai instrumentor reports them: chat completions' own values, and the
    # conventions' values derived from a Responses API response.
    call = "tool_calls" if model_kind == "chat_completions" else "tool_call"
    assert [c.attributes[semconv.GEN_AI_RESPONSE_FINISH_REASONS] for c in chats] == [
        (call,),
        (call,),
        ("stop",),
    ]

    points = metric_points(metric_reader)
    durations = points["gen_ai.client.operation.duration"]
    assert sum(p.count for p in durations) == 3  # one per model request, never two
    tokens = points["gen_ai.client.token.usage"]
    assert sum(p.count for p in tokens) == 6


def test_run_sync(agents: Any, span_exporter: Any, ends: Any, model_kind: str) -> None:
    triage, _ = agents
    result = Runner.run_sync(triage, "What is 1 + 2?")
    assert result.final_output == "3"
    assert tree(span_exporter.get_finished_spans()) == EXPECTED_TREE
    ends.assert_all_ended_once()


async def test_workflow_name_and_session(agents: Any, span_exporter: Any, model_kind: str) -> None:
    from agents import RunConfig, SQLiteSession

    triage, _ = agents
    session = SQLiteSession("conversation-42")
    await Runner.run(
        triage, "What is 1 + 2?", run_config=RunConfig(workflow_name="calc"), session=session
    )
    spans = span_exporter.get_finished_spans()
    get = by_name(spans)
    root = get("invoke_workflow calc")
    assert root.attributes[semconv.GEN_AI_CONVERSATION_ID] == "conversation-42"
    assert get("invoke_agent triage").attributes[semconv.GEN_AI_CONVERSATION_ID] == (
        "conversation-42"
    )


async def test_agent_and_tool_duration_metrics(
    tracer_provider: Any,
    meter_provider: Any,
    metric_reader: Any,
    agents: Any,
    model_kind: str,
) -> None:
    """The agent and tool durations exist under the experimental names only."""
    from agentotel import _config
    from agentotel.instrumentation.openai_agents import OpenAIAgentsInstrumentor

    instrumentor = OpenAIAgentsInstrumentor()
    instrumentor.uninstrument()
    settings = _config.from_env({semconv.OPT_IN_ENV: semconv.LATEST_EXPERIMENTAL})
    instrumentor.instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider, settings=settings
    )
    await Runner.run(agents[0], "What is 1 + 2?")
    points = metric_points(metric_reader)
    assert sum(p.count for p in points["gen_ai.invoke_agent.duration"]) == 2
    assert sum(p.count for p in points["gen_ai.execute_tool.duration"]) == 1
    assert sum(p.count for p in points["gen_ai.invoke_workflow.duration"]) == 1
    agent_point = points["gen_ai.invoke_agent.duration"][0]
    assert agent_point.attributes[semconv.GEN_AI_PROVIDER_NAME] == "openai"
