"""MCP servers attached to an agent: their calls join agentotel's MCP spans, one tool span each."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from agents import Agent, Runner
from agents.mcp import MCPServerStdio

from agentotel import _config, semconv
from agentotel.instrumentation.mcp import MCPInstrumentor
from agentotel.testing import Reply, ToolCall
from tests.conftest import tree
from tests.instrumentation.openai_agents.conftest import MODEL, by_name

pytestmark = pytest.mark.usefixtures("instrument")

SERVER = Path(__file__).with_name("_mcp_server.py")


@pytest.fixture
def mcp_instrumentor(
    tracer_provider: Any, meter_provider: Any, settings: _config.Settings
) -> Iterator[None]:
    instrumentor = MCPInstrumentor()
    instrumentor.instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider, settings=settings
    )
    yield
    instrumentor.uninstrument()


@pytest.mark.usefixtures("mcp_instrumentor")
@pytest.mark.parametrize(
    "script",
    [[Reply(tool_calls=[ToolCall("multiply", {"a": 6, "b": 7}, id="call_m")]), Reply(text="42")]],
)
@pytest.mark.parametrize("model_kind", ["responses"])
async def test_mcp_tool_call(make_model: Any, span_exporter: Any, ends: Any) -> None:
    params = {"command": sys.executable, "args": [str(SERVER)]}
    async with MCPServerStdio(params=params, name="calc") as server:
        agent = Agent(name="solo", mcp_servers=[server], model=make_model())
        result = await Runner.run(agent, "What is 6 * 7?")
    assert result.final_output == "42"
    spans = [s for s in span_exporter.get_finished_spans() if not s.name.startswith("server/")]
    assert tree(spans) == [
        "invoke_workflow Agent workflow",
        "  invoke_agent solo",
        "    tools/list",
        f"    chat {MODEL}",
        "    execute_tool multiply",
        "      tools/call multiply",
        "    tools/list",
        f"    chat {MODEL}",
    ]
    get = by_name(spans)
    tool = get("execute_tool multiply")
    assert tool.attributes[semconv.GEN_AI_TOOL_CALL_ID] == "call_m"
    assert tool.attributes[semconv.GEN_AI_TOOL_TYPE] == semconv.TOOL_TYPE_EXTENSION
    # One span per tool call: the MCP request beneath it is its transport, not a second tool.
    executions = [
        s
        for s in spans
        if s.attributes.get(semconv.GEN_AI_OPERATION_NAME) == semconv.OP_EXECUTE_TOOL
    ]
    assert executions == [tool]
    call = get("tools/call multiply")
    assert call.attributes[semconv.MCP_METHOD_NAME] == "tools/call"
    ends.assert_all_ended_once()
