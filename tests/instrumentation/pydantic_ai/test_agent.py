"""Agent runs, model requests and tools through the real pydantic-ai package (TestModel/FunctionModel)."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import BaseModel
from pydantic_ai import Agent, CallDeferred, DeferredToolRequests, ModelRetry, RunContext
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.test import TestModel

from agentotel import semconv
from tests.conftest import metric_points, tree
from tests.instrumentation.pydantic_ai.conftest import by_name

pytestmark = pytest.mark.usefixtures("instrument")

CALC_TREE = [
    "invoke_agent calc",
    "  chat test",
    "  execute_tool add",
    "  chat test",
]


def calc_agent() -> Agent[None, str]:
    agent = Agent(TestModel(), name="calc", instructions="Add numbers.")

    @agent.tool_plain
    def add(x: int, y: int) -> int:
        """Add two integers."""
        return x + y

    return agent


def test_run_sync_tree_and_attributes(span_exporter: Any) -> None:
    result = calc_agent().run_sync("What is 1 + 2?")

    assert result.output == '{"add":0}'
    spans = span_exporter.get_finished_spans()
    assert tree(spans) == CALC_TREE
    get = by_name(spans)
    root, chat, tool = get("invoke_agent calc"), get("chat test"), get("execute_tool add")
    assert root.kind is SpanKind.INTERNAL
    assert root.attributes[semconv.GEN_AI_OPERATION_NAME] == semconv.OP_INVOKE_AGENT
    assert root.attributes[semconv.GEN_AI_AGENT_NAME] == "calc"
    assert root.attributes[semconv.GEN_AI_PROVIDER_NAME] == "test"
    assert root.attributes[semconv.GEN_AI_CONVERSATION_ID]
    assert chat.kind is SpanKind.CLIENT
    assert chat.attributes[semconv.GEN_AI_OPERATION_NAME] == semconv.OP_CHAT
    assert chat.attributes[semconv.GEN_AI_REQUEST_MODEL] == "test"
    assert chat.attributes[semconv.GEN_AI_RESPONSE_MODEL] == "test"
    assert chat.attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] > 0
    assert tool.kind is SpanKind.INTERNAL
    assert tool.attributes[semconv.GEN_AI_TOOL_NAME] == "add"
    assert tool.attributes[semconv.GEN_AI_TOOL_DESCRIPTION] == "Add two integers."
    assert tool.attributes[semconv.GEN_AI_TOOL_TYPE] == "function"
    call_id = tool.attributes[semconv.GEN_AI_TOOL_CALL_ID]
    assert call_id
    # The tool span links to the chat span whose response asked for the call.
    assert [link.context.span_id for link in tool.links] == [chat.context.span_id]
    assert all(s.status.status_code is StatusCode.UNSET for s in spans)


async def test_async_run_with_run_context_tool(span_exporter: Any) -> None:
    agent = Agent(TestModel(), name="deps", deps_type=int)

    @agent.tool
    def scale(ctx: RunContext[int], x: int) -> int:
        return ctx.deps * x

    result = await agent.run("scale it", deps=3)

    assert result.output == '{"scale":0}'
    assert tree(span_exporter.get_finished_spans()) == [
        "invoke_agent deps",
        "  chat test",
        "  execute_tool scale",
        "  chat test",
    ]


async def test_run_stream_consumed(span_exporter: Any) -> None:
    agent = calc_agent()
    async with agent.run_stream("What is 1 + 2?") as stream:
        text = [chunk async for chunk in stream.stream_text(debounce_by=None)]
    assert text[-1] == '{"add":0}'

    spans = span_exporter.get_finished_spans()
    assert tree(spans) == CALC_TREE
    chats = [s for s in spans if s.name == "chat test"]
    assert all(s.attributes[semconv.GEN_AI_REQUEST_STREAM] is True for s in chats)
    root = by_name(spans)("invoke_agent calc")
    assert semconv.AGENTOTEL_STREAM_ENDED_BY not in root.attributes


async def test_run_stream_abandoned_ends_every_span(span_exporter: Any) -> None:
    agent = Agent(TestModel(custom_output_text="one two three four five"), name="talker")
    async with agent.run_stream("talk") as stream:
        async for _ in stream.stream_text(delta=True, debounce_by=None):
            break

    spans = span_exporter.get_finished_spans()
    assert tree(spans) == ["invoke_agent talker", "  chat test"]
    root = by_name(spans)("invoke_agent talker")
    assert root.status.status_code is not StatusCode.ERROR
    assert root.attributes[semconv.AGENTOTEL_STREAM_ENDED_BY] == "cancelled"


async def test_iter_to_the_end(span_exporter: Any) -> None:
    agent = calc_agent()
    async with agent.iter("What is 1 + 2?") as run:
        nodes = [type(node).__name__ async for node in run]

    assert nodes[-1] == "End"
    assert tree(span_exporter.get_finished_spans()) == CALC_TREE


async def test_iter_left_early_ends_the_run_span(span_exporter: Any) -> None:
    agent = calc_agent()
    async with agent.iter("What is 1 + 2?") as run:
        async for node in run:
            if type(node).__name__ == "CallToolsNode":
                break

    spans = span_exporter.get_finished_spans()
    assert tree(spans) == ["invoke_agent calc", "  chat test"]
    assert (
        by_name(spans)("invoke_agent calc").attributes[semconv.AGENTOTEL_STREAM_ENDED_BY]
        == "cancelled"
    )


class City(BaseModel):
    name: str
    population: int


def test_structured_output(span_exporter: Any) -> None:
    agent = Agent(TestModel(), name="geo", output_type=City)

    result = agent.run_sync("Biggest city?")

    assert isinstance(result.output, City)
    # The output tool is how the model answers, not a tool the agent runs: no execute_tool span.
    assert tree(span_exporter.get_finished_spans()) == ["invoke_agent geo", "  chat test"]


def test_output_function_is_reported_as_a_tool(span_exporter: Any) -> None:
    def to_city(name: str, population: int) -> City:
        return City(name=name.title(), population=population)

    agent = Agent(TestModel(), name="geo", output_type=to_city)

    result = agent.run_sync("Biggest city?")

    assert isinstance(result.output, City)
    assert tree(span_exporter.get_finished_spans()) == [
        "invoke_agent geo",
        "  chat test",
        "  execute_tool final_result",
    ]


def test_model_retry_from_a_tool(span_exporter: Any) -> None:
    agent = Agent(TestModel(), name="flaky")
    attempts: list[int] = []

    @agent.tool_plain
    def lookup(key: str) -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise ModelRetry("not found, try again")
        return "value"

    agent.run_sync("look it up")

    spans = span_exporter.get_finished_spans()
    assert tree(spans) == [
        "invoke_agent flaky",
        "  chat test",
        "  execute_tool lookup",
        "  chat test",
        "  execute_tool lookup",
        "  chat test",
    ]
    first, second = [s for s in spans if s.name == "execute_tool lookup"]
    assert first.status.status_code is StatusCode.ERROR
    assert first.attributes[semconv.ERROR_TYPE] == "pydantic_ai.ModelRetry"
    assert second.status.status_code is StatusCode.UNSET
    assert by_name(spans)("invoke_agent flaky").status.status_code is StatusCode.UNSET


def test_tool_error_fails_tool_and_run(span_exporter: Any) -> None:
    agent = Agent(TestModel(), name="broken")

    @agent.tool_plain
    def explode() -> str:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        agent.run_sync("go")

    spans = span_exporter.get_finished_spans()
    assert tree(spans) == ["invoke_agent broken", "  chat test", "  execute_tool explode"]
    get = by_name(spans)
    for name in ("execute_tool explode", "invoke_agent broken"):
        assert get(name).status.status_code is StatusCode.ERROR
        assert get(name).attributes[semconv.ERROR_TYPE] == "ValueError"
    assert get("chat test").status.status_code is StatusCode.UNSET


def _calls_then_answers(first_args: Any) -> FunctionModel:
    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        calls = sum(
            1
            for m in messages
            if isinstance(m, ModelResponse)
            for p in m.parts
            if p.part_kind == "tool-call"
        )
        if calls == 0:
            return ModelResponse(parts=[ToolCallPart("double", first_args, tool_call_id="c1")])
        if calls == 1 and first_args != {"x": 2}:
            return ModelResponse(parts=[ToolCallPart("double", {"x": 2}, tool_call_id="c2")])
        return ModelResponse(parts=[TextPart("4")])

    return FunctionModel(respond, model_name="scripted")


def test_invalid_tool_arguments_are_a_failed_tool_span(span_exporter: Any) -> None:
    agent = Agent(_calls_then_answers({"x": "not a number"}), name="validator")

    @agent.tool_plain
    def double(x: int) -> int:
        return 2 * x

    assert agent.run_sync("double 2").output == "4"

    spans = span_exporter.get_finished_spans()
    assert tree(spans) == [
        "invoke_agent validator",
        "  chat scripted",
        "  execute_tool double",
        "  chat scripted",
        "  execute_tool double",
        "  chat scripted",
    ]
    invalid, valid = [s for s in spans if s.name == "execute_tool double"]
    assert invalid.attributes[semconv.GEN_AI_TOOL_CALL_ID] == "c1"
    assert invalid.attributes[semconv.ERROR_TYPE] == "pydantic_core.ValidationError"
    assert valid.attributes[semconv.GEN_AI_TOOL_CALL_ID] == "c2"
    assert valid.status.status_code is StatusCode.UNSET


def test_model_error_fails_chat_and_run(span_exporter: Any) -> None:
    def fail(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        raise ConnectionError("model down")

    agent = Agent(FunctionModel(fail, model_name="down"), name="unlucky")
    with pytest.raises(ConnectionError):
        agent.run_sync("hello")

    spans = span_exporter.get_finished_spans()
    assert tree(spans) == ["invoke_agent unlucky", "  chat down"]
    for span in spans:
        assert span.status.status_code is StatusCode.ERROR
        assert span.attributes[semconv.ERROR_TYPE] == "ConnectionError"


def test_delegation_nests_and_usage_stays_per_run(span_exporter: Any) -> None:
    researcher = Agent(TestModel(custom_output_text="facts"), name="researcher")
    writer = Agent(TestModel(), name="writer")

    @writer.tool
    async def research(ctx: RunContext[None], topic: str) -> str:
        result = await researcher.run(f"Research {topic}", usage=ctx.usage)
        return result.output

    writer.run_sync("Write about otters")

    spans = span_exporter.get_finished_spans()
    assert tree(spans) == [
        "invoke_agent writer",
        "  chat test",
        "  execute_tool research",
        "    invoke_agent researcher",
        "      chat test",
        "  chat test",
    ]
    get = by_name(spans)
    researcher_chats = [
        s
        for s in spans
        if s.name == "chat test"
        and s.parent.span_id == get("invoke_agent researcher").context.span_id
    ]
    own_chats = [s for s in spans if s.name == "chat test" and s not in researcher_chats]

    def total(chats: list[Any], key: str) -> int:
        return sum(s.attributes[key] for s in chats)

    for agent_span, chats in (
        (get("invoke_agent writer"), own_chats),
        (get("invoke_agent researcher"), researcher_chats),
    ):
        for key in (semconv.GEN_AI_USAGE_INPUT_TOKENS, semconv.GEN_AI_USAGE_OUTPUT_TOKENS):
            assert agent_span.attributes[key] == total(chats, key)


def test_agent_name_is_inferred_from_the_variable(span_exporter: Any) -> None:
    helpful_bot = Agent(TestModel())

    helpful_bot.run_sync("hi")

    assert tree(span_exporter.get_finished_spans()) == ["invoke_agent helpful_bot", "  chat test"]


def test_metrics(span_exporter: Any, metric_reader: Any) -> None:
    calc_agent().run_sync("What is 1 + 2?")

    chats = [s for s in span_exporter.get_finished_spans() if s.name == "chat test"]
    points = metric_points(metric_reader)
    durations = points["gen_ai.client.operation.duration"]
    by_operation: dict[str, int] = {}
    for point in durations:
        op = point.attributes[semconv.GEN_AI_OPERATION_NAME]
        by_operation[op] = by_operation.get(op, 0) + point.count
    assert by_operation[semconv.OP_CHAT] == 2
    tokens = {
        p.attributes[semconv.GEN_AI_TOKEN_TYPE]: p.sum
        for p in points["gen_ai.client.token.usage"]
        if p.attributes[semconv.GEN_AI_OPERATION_NAME] == semconv.OP_CHAT
    }
    assert tokens == {
        "input": sum(s.attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] for s in chats),
        "output": sum(s.attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] for s in chats),
    }
    point = next(p for p in points["gen_ai.client.token.usage"])
    assert point.attributes[semconv.GEN_AI_PROVIDER_NAME] == "test"
    assert point.attributes[semconv.GEN_AI_REQUEST_MODEL] == "test"


def test_deferred_tool_is_not_an_error(span_exporter: Any) -> None:
    agent = Agent(TestModel(), name="later", output_type=[str, DeferredToolRequests])

    @agent.tool_plain
    def slow_job() -> str:
        raise CallDeferred()

    result = agent.run_sync("start the job")

    assert isinstance(result.output, DeferredToolRequests)
    spans = span_exporter.get_finished_spans()
    assert tree(spans) == ["invoke_agent later", "  chat test", "  execute_tool slow_job"]
    assert all(s.status.status_code is StatusCode.UNSET for s in spans)
