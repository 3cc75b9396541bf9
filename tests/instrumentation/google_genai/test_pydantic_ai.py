"""pydantic-ai's GoogleModel over the real google-genai SDK: one span per model request when
agentotel's pydantic-ai and google-genai instrumentors are both on (the framework's span wins)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic_ai import Agent
from pydantic_ai.models.google import GoogleModel
from pydantic_ai.providers.google import GoogleProvider

from agentotel.instrumentation.pydantic_ai import PydanticAIInstrumentor
from agentotel.testing import Reply, ScriptedModel, ToolCall
from tests.conftest import tree
from tests.instrumentation.google_genai.conftest import MODEL, make_client


@pytest.fixture
def both(tracer_provider: Any, meter_provider: Any, instrumented: Any) -> Iterator[None]:
    framework = PydanticAIInstrumentor()
    framework.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    yield
    framework.uninstrument()


@pytest.mark.usefixtures("both")
@pytest.mark.parametrize("stream", [False, True], ids=["run", "run_stream"])
async def test_one_span_per_request(
    server: Any, model: ScriptedModel, span_exporter: Any, stream: bool
) -> None:
    model.add(Reply(tool_calls=[ToolCall("add", {"x": 1, "y": 2})]), Reply(text="3"))
    provider = GoogleProvider(client=make_client(server))
    agent = Agent(GoogleModel(MODEL, provider=provider), name="calc")

    @agent.tool_plain
    def add(x: int, y: int) -> int:
        return x + y

    if stream:
        async with agent.run_stream("What is 1 + 2?") as result:
            assert await result.get_output() == "3"
    else:
        assert (await agent.run("What is 1 + 2?")).output == "3"
    assert tree(span_exporter.get_finished_spans()) == [
        "invoke_agent calc",
        f"  chat {MODEL}",
        "  execute_tool add",
        f"  chat {MODEL}",
    ]
