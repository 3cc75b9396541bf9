"""Hierarchical crews (manager delegating) and flows."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("crewai", reason="crewai runs in its own venv: make test-crewai")

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentotel import semconv
from agentotel.testing import Reply, ScriptedModelServer, ToolCall
from tests.conftest import tree
from tests.instrumentation.crewai import crews


def test_hierarchical_manager_delegates(
    instrument: Any, span_exporter: InMemorySpanExporter
) -> None:
    instrument()
    delegate = ToolCall(
        "delegate_work_to_coworker",
        {"task": "Analyse the data", "context": "numbers", "coworker": "Analyst"},
        id="call_delegate",
    )
    script = [Reply(tool_calls=[delegate]), Reply(text="Finding: up"), Reply(text="Done: up")]
    with ScriptedModelServer(script) as server:
        result = crews.hierarchical(server.openai_base_url).kickoff()
    assert result.raw == "Done: up"
    spans = span_exporter.get_finished_spans()
    assert tree(spans) == [
        "invoke_workflow managed",
        "  invoke_agent Crew Manager",
        "    chat gpt-4o-mini",
        "    execute_tool delegate_work_to_coworker",
        "      invoke_agent Analyst",
        "        chat gpt-4o-mini",
        "    chat gpt-4o-mini",
    ]
    manager = next(s for s in spans if s.name == "invoke_agent Crew Manager")
    chats = [s for s in spans if s.name.startswith("chat")]
    assert manager.attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] == sum(
        c.attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] for c in chats
    )


def test_flow_is_a_workflow_with_a_step_per_method(
    instrument: Any, span_exporter: InMemorySpanExporter
) -> None:
    instrument()
    with ScriptedModelServer([Reply(text="Otters float.")]) as server:
        crews.PoemFlow.base_url = server.openai_base_url
        assert crews.PoemFlow().kickoff() == "Otters float."
    spans = span_exporter.get_finished_spans()
    assert tree(spans) == [
        "invoke_workflow PoemFlow",
        "  pick_topic",
        "  write",
        "    invoke_workflow poem",
        "      invoke_agent Poet",
        "        chat gpt-4o-mini",
    ]
    assert len({s.context.trace_id for s in spans}) == 1
