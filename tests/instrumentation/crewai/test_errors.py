"""Failures land on the span they belong to, with error.type; exceptions pass through unchanged."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("crewai", reason="crewai runs in its own venv: make test-crewai")
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from agentotel import semconv
from agentotel.instrumentation.crewai.patch import MAX_ITERATIONS
from agentotel.telemetry.invocation import error_type_of
from agentotel.testing import Reply, ScriptedModelServer, ToolCall
from tests.instrumentation.crewai import crews


def _span(spans: Any, name: str) -> Any:
    return next(s for s in spans if s.name == name)


def test_tool_error_marks_the_tool_span(
    instrument: Any, span_exporter: InMemorySpanExporter
) -> None:
    instrument()
    script = [
        Reply(tool_calls=[ToolCall("explode", {"reason": "x"}, id="call_boom")]),
        Reply(text="could not"),
        Reply(text="nothing to report"),
    ]
    with ScriptedModelServer(script) as server:
        crews.sequential(server.openai_base_url, tools=[crews.explode]).kickoff()
    spans = span_exporter.get_finished_spans()
    tool = _span(spans, "execute_tool explode")
    assert tool.status.status_code is StatusCode.ERROR
    assert tool.attributes[semconv.ERROR_TYPE] == "RuntimeError"
    assert tool.attributes[semconv.GEN_AI_TOOL_CALL_ID] == "call_boom"
    # The agent recovered: its span is not an error.
    assert _span(spans, "invoke_agent Researcher").status.status_code is StatusCode.UNSET


def test_max_iterations_marks_the_agent_span(
    instrument: Any, span_exporter: InMemorySpanExporter
) -> None:
    instrument()
    again = Reply(tool_calls=[ToolCall("add", {"a": 1, "b": 1}, id="call_again")])
    script = [again, Reply(text="forced answer"), Reply(text="summary")]
    with ScriptedModelServer(script) as server:
        crew = crews.sequential(server.openai_base_url, agent={"max_iter": 1})
        crew.kickoff()
    spans = span_exporter.get_finished_spans()
    agent = _span(spans, "invoke_agent Researcher")
    assert agent.attributes[semconv.ERROR_TYPE] == MAX_ITERATIONS
    assert agent.status.status_code is StatusCode.ERROR
    assert _span(spans, "invoke_agent Writer").status.status_code is StatusCode.UNSET


def test_guardrail_failure_marks_the_agent_and_crew(
    instrument: Any, span_exporter: InMemorySpanExporter
) -> None:
    instrument()

    def reject(output):  # type: ignore[no-untyped-def]  # CrewAI checks a given annotation
        return False, "never good enough"

    script = [Reply(text="attempt")] * 4
    with ScriptedModelServer(script) as server:
        crew = crews.sequential(
            server.openai_base_url, tools=[], guardrail=reject, guardrail_max_retries=0
        )
        with pytest.raises(Exception) as caught:
            crew.kickoff()
    spans = span_exporter.get_finished_spans()
    agent = _span(spans, "invoke_agent Researcher")
    assert agent.status.status_code is StatusCode.ERROR
    assert agent.attributes[semconv.ERROR_TYPE] == error_type_of(caught.value)
    assert _span(spans, "invoke_workflow numbers").status.status_code is StatusCode.ERROR


@pytest.mark.parametrize("openai", [True, False], ids=["with-openai", "crewai-only"])
def test_model_error_marks_the_chat_span(
    instrument: Any, span_exporter: InMemorySpanExporter, openai: bool
) -> None:
    """CrewAI's executor catches a failed request and asks again: only that chat span fails."""
    instrument(openai=openai)
    error = Reply(status=400, error_body={"error": {"message": "bad", "type": "invalid"}})
    script = [error, Reply(text="recovered"), Reply(text="summary")]
    with ScriptedModelServer(script) as server:
        result = crews.sequential(server.openai_base_url).kickoff()
        requests = len(server.model.requests)
    assert result.raw == "summary"
    spans = span_exporter.get_finished_spans()
    chats = [s for s in spans if s.name.startswith("chat")]
    assert len(chats) == requests
    failed = [c for c in chats if c.status.status_code is StatusCode.ERROR]
    assert len(failed) == 1
    assert failed[0].attributes[semconv.ERROR_TYPE] == "openai.BadRequestError"
    assert _span(spans, "invoke_workflow numbers").status.status_code is StatusCode.UNSET


def test_crewai_exception_passes_through_unchanged(
    instrument: Any, span_exporter: InMemorySpanExporter
) -> None:
    instrument()
    crew = crews.sequential("http://127.0.0.1:9/v1")
    crew.tasks[0].agent = None  # CrewAI refuses a task without an agent in a sequential crew
    with pytest.raises(Exception) as caught:
        crew.kickoff()
    spans = span_exporter.get_finished_spans()
    root = _span(spans, "invoke_workflow numbers")
    assert root.attributes[semconv.ERROR_TYPE] == error_type_of(caught.value)
