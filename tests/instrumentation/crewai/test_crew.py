"""A sequential crew of two agents with a tool: one trace, one chat span per model request."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

pytest.importorskip("crewai", reason="crewai runs in its own venv: make test-crewai")
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentotel import semconv
from agentotel.testing import Reply, ScriptedModelServer, ToolCall
from tests.conftest import tree
from tests.instrumentation.crewai import crews

SCRIPT = [
    Reply(tool_calls=[ToolCall("add", {"a": 1, "b": 2}, id="call_add")]),
    Reply(text="3"),
    Reply(text="The sum is 3."),
]
EXPECTED = [
    "invoke_workflow numbers",
    "  invoke_agent Researcher",
    "    chat gpt-4o-mini",
    "    execute_tool add",
    "    chat gpt-4o-mini",
    "  invoke_agent Writer",
    "    chat gpt-4o-mini",
]


def _by_name(spans: Any, name: str) -> list[Any]:
    return [s for s in spans if s.name == name]


@pytest.mark.parametrize("openai", [True, False], ids=["with-openai", "crewai-only"])
def test_sequential_crew_is_one_trace(
    instrument: Any, span_exporter: InMemorySpanExporter, openai: bool
) -> None:
    instrument(openai=openai)
    with ScriptedModelServer(SCRIPT) as server:
        result = crews.sequential(server.openai_base_url).kickoff()
        requests = len(server.model.requests)
    assert result.raw == "The sum is 3."
    spans = span_exporter.get_finished_spans()
    assert tree(spans) == EXPECTED
    assert len({s.context.trace_id for s in spans}) == 1

    chats = _by_name(spans, "chat gpt-4o-mini")
    assert len(chats) == requests  # exactly one chat span per model request
    first = chats[0].attributes
    assert first[semconv.GEN_AI_PROVIDER_NAME] == "openai"
    assert first[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_calls",)
    assert first[semconv.SERVER_ADDRESS] == "127.0.0.1"
    tool = _by_name(spans, "execute_tool add")[0].attributes
    assert tool[semconv.GEN_AI_TOOL_CALL_ID] == "call_add"

    # Tokens roll up once: agent = its requests, crew = all requests.
    inputs = [c.attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] for c in chats]
    outputs = [c.attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] for c in chats]
    researcher = _by_name(spans, "invoke_agent Researcher")[0].attributes
    assert researcher[semconv.GEN_AI_USAGE_INPUT_TOKENS] == inputs[0] + inputs[1]
    crew = _by_name(spans, "invoke_workflow numbers")[0].attributes
    assert crew[semconv.GEN_AI_USAGE_INPUT_TOKENS] == sum(inputs)
    assert crew[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == sum(outputs)
    assert crew[semconv.GEN_AI_WORKFLOW_NAME] == "numbers"


def test_kickoff_async_and_for_each(instrument: Any, span_exporter: InMemorySpanExporter) -> None:
    instrument()
    with ScriptedModelServer(SCRIPT * 3) as server:
        crew = crews.sequential(server.openai_base_url)
        asyncio.run(crew.kickoff_async())
        crews.sequential(server.openai_base_url).kickoff_for_each([{}, {}])
    spans = span_exporter.get_finished_spans()
    roots = _by_name(spans, "invoke_workflow numbers")
    assert len(roots) == 3
    assert tree(spans) == EXPECTED * 3
    assert len({s.context.trace_id for s in spans}) == 3


def test_content_off_by_default(instrument: Any, span_exporter: InMemorySpanExporter) -> None:
    instrument(content=False)
    with ScriptedModelServer(SCRIPT) as server:
        crews.sequential(server.openai_base_url).kickoff()
    for span in span_exporter.get_finished_spans():
        for value in (span.attributes or {}).values():
            assert "secret-task-text" not in str(value)
            assert "The sum is 3." not in str(value)


def test_content_on_records_task_and_answers(
    instrument: Any, span_exporter: InMemorySpanExporter
) -> None:
    instrument(content=True)
    with ScriptedModelServer(SCRIPT) as server:
        crews.sequential(server.openai_base_url).kickoff()
    spans = span_exporter.get_finished_spans()
    researcher = _by_name(spans, "invoke_agent Researcher")[0].attributes
    assert "secret-task-text" in researcher[semconv.GEN_AI_INPUT_MESSAGES]
    writer = _by_name(spans, "invoke_agent Writer")[0].attributes
    assert "The sum is 3." in writer[semconv.GEN_AI_OUTPUT_MESSAGES]
    tool = _by_name(spans, "execute_tool add")[0].attributes
    assert tool[semconv.GEN_AI_TOOL_CALL_RESULT] == "3"
