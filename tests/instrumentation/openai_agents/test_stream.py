"""Streamed runs: every span ends exactly once, whether the stream is read, dropped or cancelled."""

from __future__ import annotations

import asyncio
from typing import Any

import openai
import pytest
from agents import Agent, MaxTurnsExceeded, Runner
from opentelemetry.trace import StatusCode

from agentotel import semconv
from agentotel.testing import Reply, ToolCall
from tests.conftest import metric_points, tree
from tests.instrumentation.openai_agents.conftest import MODEL, add, by_name
from tests.instrumentation.openai_agents.test_run import EXPECTED_TREE

pytestmark = pytest.mark.usefixtures("instrument")


async def test_consumed(
    openai_instrumentor: bool,
    agents: Any,
    span_exporter: Any,
    metric_reader: Any,
    ends: Any,
    model_kind: str,
) -> None:
    triage, _ = agents
    result = Runner.run_streamed(triage, "What is 1 + 2?")
    events = [event async for event in result.stream_events()]
    assert events
    assert result.final_output == "3"
    spans = span_exporter.get_finished_spans()
    assert tree(spans) == EXPECTED_TREE
    ends.assert_all_ended_once()
    get = by_name(spans)
    assert get("execute_tool add").attributes[semconv.GEN_AI_TOOL_CALL_ID] == "call_add"
    for chat in (s for s in spans if s.name == f"chat {MODEL}"):
        assert chat.attributes[semconv.GEN_AI_REQUEST_STREAM] is True
        assert chat.attributes[semconv.GEN_AI_RESPONSE_MODEL] == MODEL
        if model_kind == "responses":
            assert chat.attributes[semconv.GEN_AI_RESPONSE_ID].startswith("resp_")
            assert chat.attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] > 0
    durations = metric_points(metric_reader)["gen_ai.client.operation.duration"]
    assert sum(p.count for p in durations) == 3
    first_chunk = metric_points(metric_reader)["gen_ai.client.operation.time_to_first_chunk"]
    assert sum(p.count for p in first_chunk) == 3


async def test_abandoned_after_first_event(
    agents: Any, span_exporter: Any, ends: Any, model_kind: str
) -> None:
    triage, _ = agents
    result = Runner.run_streamed(triage, "What is 1 + 2?")
    events = result.stream_events()
    async for _ in events:
        break
    await events.aclose()
    result.cancel()
    await asyncio.sleep(0.05)
    spans = span_exporter.get_finished_spans()
    root = by_name(spans)("invoke_workflow Agent workflow")
    assert root.attributes[semconv.AGENTOTEL_STREAM_ENDED_BY] == "cancelled"
    assert root.status.status_code is StatusCode.UNSET
    ends.assert_all_ended_once()


async def test_dropped_without_close(
    agents: Any, span_exporter: Any, ends: Any, model_kind: str
) -> None:
    """A consumer that breaks out and drops the stream: the spans end when it is collected."""
    triage, _ = agents
    result = Runner.run_streamed(triage, "What is 1 + 2?")
    async for _ in result.stream_events():
        break
    await ends.settle()
    ends.assert_all_ended_once()
    assert span_exporter.get_finished_spans()


async def test_never_read(agents: Any, span_exporter: Any, ends: Any, model_kind: str) -> None:
    """Nobody reads the events: the run still ends its spans when its task does."""
    triage, _ = agents
    result = Runner.run_streamed(triage, "What is 1 + 2?")
    assert result.run_loop_task is not None
    await asyncio.wait_for(asyncio.shield(result.run_loop_task), 5)
    await asyncio.sleep(0)
    assert tree(span_exporter.get_finished_spans()) == EXPECTED_TREE
    ends.assert_all_ended_once()


async def test_task_cancelled(agents: Any, span_exporter: Any, ends: Any, model_kind: str) -> None:
    triage, _ = agents

    async def consume() -> None:
        result = Runner.run_streamed(triage, "What is 1 + 2?")
        async for _ in result.stream_events():
            await asyncio.sleep(10)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await ends.settle()
    ends.assert_all_ended_once()
    root = by_name(span_exporter.get_finished_spans())("invoke_workflow Agent workflow")
    assert root.attributes[semconv.AGENTOTEL_STREAM_ENDED_BY] == "cancelled"


@pytest.mark.parametrize("script", [[Reply(status=500)]])
async def test_model_error(
    openai_instrumentor: bool, make_model: Any, span_exporter: Any, ends: Any, model_kind: str
) -> None:
    agent = Agent(name="solo", model=make_model())
    result = Runner.run_streamed(agent, "go")
    with pytest.raises(openai.InternalServerError):
        async for _ in result.stream_events():
            pass
    spans = span_exporter.get_finished_spans()
    assert tree(spans) == [
        "invoke_workflow Agent workflow",
        "  invoke_agent solo",
        f"    chat {MODEL}",
    ]
    for span in spans:
        assert span.attributes[semconv.ERROR_TYPE] == "openai.InternalServerError"
    ends.assert_all_ended_once()


@pytest.mark.parametrize("script", [[Reply(tool_calls=[ToolCall("add", {"x": 1, "y": 1})])] * 3])
async def test_max_turns(make_model: Any, span_exporter: Any, ends: Any, model_kind: str) -> None:
    agent = Agent(name="solo", tools=[add], model=make_model())
    result = Runner.run_streamed(agent, "go", max_turns=1)
    with pytest.raises(MaxTurnsExceeded):
        async for _ in result.stream_events():
            pass
    await asyncio.sleep(0.05)
    root = by_name(span_exporter.get_finished_spans())("invoke_workflow Agent workflow")
    assert root.attributes[semconv.ERROR_TYPE] == "agents.MaxTurnsExceeded"
    ends.assert_all_ended_once()
