"""create_agent (LangGraph underneath) with a scripted model: whole trace trees."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from langchain.agents import create_agent
from langchain_core.tools import ToolException, tool
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from agentotel import semconv
from agentotel.instrumentation.langchain import LangChainInstrumentor
from tests.conftest import metric_points, tree
from tests.instrumentation.langchain.helpers import by_name, kinds, one, one_trace, parent_of
from tests.instrumentation.langchain.models import ScriptedChat, reply

Spans = Callable[[], tuple[ReadableSpan, ...]]
CHAT = "chat scripted-1"


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


@tool
def explode(reason: str) -> str:
    """Always fails."""
    raise ValueError(reason)


@tool
def refuse(reason: str) -> str:
    """Fails in a way the tool itself reports to the model."""
    raise ToolException(reason)


refuse.handle_tool_error = True


def react_model() -> ScriptedChat:
    return ScriptedChat(
        replies=[
            reply(calls=[("add", {"a": 2, "b": 3}, "call_add")], usage=(11, 3)),
            reply(calls=[("multiply", {"a": 5, "b": 4}, "call_mul")], usage=(17, 4)),
            reply("The answer is 20.", usage=(23, 6)),
        ]
    )


def test_react_agent_two_tools_three_turns(
    instrumented: LangChainInstrumentor, spans: Spans
) -> None:
    agent = create_agent(react_model(), [add, multiply], name="calculator")
    result = agent.invoke({"messages": [("user", "(2+3)*4?")]})
    assert result["messages"][-1].content == "The answer is 20."

    got = spans()
    one_trace(got)
    assert tree(got) == [
        "invoke_agent calculator",
        f"  {CHAT}",
        "  execute_tool add",
        f"  {CHAT}",
        "  execute_tool multiply",
        f"  {CHAT}",
    ]
    assert kinds(got) == {
        "invoke_agent calculator": SpanKind.INTERNAL,
        CHAT: SpanKind.CLIENT,
        "execute_tool add": SpanKind.INTERNAL,
        "execute_tool multiply": SpanKind.INTERNAL,
    }
    agent_span = one(got, "invoke_agent calculator")
    assert agent_span.attributes is not None
    assert agent_span.attributes[semconv.GEN_AI_OPERATION_NAME] == semconv.OP_INVOKE_AGENT
    assert agent_span.attributes[semconv.GEN_AI_AGENT_NAME] == "calculator"
    assert agent_span.attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 11 + 17 + 23
    assert agent_span.attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 3 + 4 + 6

    chats = by_name(got, CHAT)
    first = chats[0].attributes
    assert first is not None
    assert first[semconv.GEN_AI_OPERATION_NAME] == semconv.OP_CHAT
    assert first[semconv.GEN_AI_PROVIDER_NAME] == "scripted"
    assert first[semconv.GEN_AI_REQUEST_MODEL] == "scripted-1"
    assert first[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 11
    assert first[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 3
    assert first[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_calls",)
    last = chats[2].attributes
    assert last is not None and last[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)

    tool_span = one(got, "execute_tool add")
    attrs = tool_span.attributes
    assert attrs is not None
    assert attrs[semconv.GEN_AI_TOOL_NAME] == "add"
    assert attrs[semconv.GEN_AI_TOOL_CALL_ID] == "call_add"
    assert attrs[semconv.GEN_AI_TOOL_TYPE] == semconv.TOOL_TYPE_FUNCTION
    assert attrs[semconv.GEN_AI_TOOL_DESCRIPTION] == "Add two integers."
    # Content is off by default.
    assert semconv.GEN_AI_TOOL_CALL_ARGUMENTS not in attrs
    assert semconv.GEN_AI_INPUT_MESSAGES not in (first or {})
    # The tool span links to the model call that asked for it.
    assert [link.context.span_id for link in tool_span.links] == [chats[0].context.span_id]


def test_content_capture_on(instrument: Callable[..., LangChainInstrumentor], spans: Spans) -> None:
    instrument(capture_content=True)
    agent = create_agent(react_model(), [add, multiply], name="calculator")
    agent.invoke({"messages": [("system", "Be exact."), ("user", "(2+3)*4?")]})
    got = spans()
    tool_attrs = one(got, "execute_tool add").attributes
    assert tool_attrs is not None
    assert tool_attrs[semconv.GEN_AI_TOOL_CALL_ARGUMENTS] == '{"a":2,"b":3}'
    assert tool_attrs[semconv.GEN_AI_TOOL_CALL_RESULT] == "5"
    first = by_name(got, CHAT)[0].attributes
    assert first is not None
    assert '"content":"(2+3)*4?"' in str(first[semconv.GEN_AI_INPUT_MESSAGES])
    assert "Be exact." in str(first[semconv.GEN_AI_SYSTEM_INSTRUCTIONS])
    assert '"type":"tool_call"' in str(first[semconv.GEN_AI_OUTPUT_MESSAGES])
    last = by_name(got, CHAT)[2].attributes
    assert last is not None
    assert '"tool_call_response"' in str(last[semconv.GEN_AI_INPUT_MESSAGES])


def test_parallel_tool_calls(instrumented: LangChainInstrumentor, spans: Spans) -> None:
    model = ScriptedChat(
        replies=[
            reply(calls=[("add", {"a": 1, "b": 2}, "c1"), ("multiply", {"a": 3, "b": 4}, "c2")]),
            reply("3 and 12"),
        ]
    )
    agent = create_agent(model, [add, multiply], name="calc")
    agent.invoke({"messages": [("user", "both")]})
    got = spans()
    one_trace(got)
    lines = tree(got)
    assert lines[:2] == ["invoke_agent calc", f"  {CHAT}"]
    # The two tools run concurrently, so their order is not fixed.
    assert sorted(lines[2:4]) == ["  execute_tool add", "  execute_tool multiply"]
    assert lines[4:] == [f"  {CHAT}"]
    first_chat = by_name(got, CHAT)[0]
    for name in ("execute_tool add", "execute_tool multiply"):
        span = one(got, name)
        assert [link.context.span_id for link in span.links] == [first_chat.context.span_id]


def test_tool_that_raises(instrumented: LangChainInstrumentor, spans: Spans) -> None:
    model = ScriptedChat(replies=[reply(calls=[("explode", {"reason": "boom"}, "c1")])])
    agent = create_agent(model, [explode], name="fragile")
    with pytest.raises(ValueError, match="boom"):
        agent.invoke({"messages": [("user", "go")]})
    got = spans()
    assert tree(got) == ["invoke_agent fragile", f"  {CHAT}", "  execute_tool explode"]
    for name in ("execute_tool explode", "invoke_agent fragile"):
        span = one(got, name)
        assert span.status.status_code is StatusCode.ERROR
        assert span.attributes is not None
        assert span.attributes[semconv.ERROR_TYPE] == "ValueError"
    assert one(got, CHAT).status.status_code is StatusCode.UNSET


def test_tool_error_reported_to_the_model(
    instrumented: LangChainInstrumentor, spans: Spans
) -> None:
    model = ScriptedChat(
        replies=[reply(calls=[("refuse", {"reason": "no"}, "c1")]), reply("sorry")]
    )
    agent = create_agent(model, [refuse], name="polite")
    agent.invoke({"messages": [("user", "go")]})
    got = spans()
    assert tree(got) == [
        "invoke_agent polite",
        f"  {CHAT}",
        "  execute_tool refuse",
        f"  {CHAT}",
    ]
    tool_span = one(got, "execute_tool refuse")
    assert tool_span.status.status_code is StatusCode.ERROR
    assert tool_span.attributes is not None
    assert tool_span.attributes[semconv.ERROR_TYPE] == semconv.ERROR_TYPE_OTHER
    assert one(got, "invoke_agent polite").status.status_code is StatusCode.UNSET


def test_model_error(instrumented: LangChainInstrumentor, spans: Spans) -> None:
    agent = create_agent(ScriptedChat(error=TimeoutError("slow")), [add], name="a")
    with pytest.raises(TimeoutError):
        agent.invoke({"messages": [("user", "go")]})
    got = spans()
    assert tree(got) == ["invoke_agent a", f"  {CHAT}"]
    chat = one(got, CHAT)
    assert chat.attributes is not None and chat.attributes[semconv.ERROR_TYPE] == "TimeoutError"


def test_streamed_model_in_agent(instrumented: LangChainInstrumentor, spans: Spans) -> None:
    agent = create_agent(react_model(), [add, multiply], name="streamer")
    chunks = list(agent.stream({"messages": [("user", "go")]}, stream_mode="messages"))
    assert chunks
    got = spans()
    assert tree(got) == [
        "invoke_agent streamer",
        f"  {CHAT}",
        "  execute_tool add",
        f"  {CHAT}",
        "  execute_tool multiply",
        f"  {CHAT}",
    ]
    last = by_name(got, CHAT)[2].attributes
    assert last is not None
    assert last[semconv.GEN_AI_REQUEST_STREAM] is True
    assert last[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 6
    assert last[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    # Tool calls assembled from streamed chunks still link the tool spans.
    first = by_name(got, CHAT)[0]
    assert [lk.context.span_id for lk in one(got, "execute_tool add").links] == [
        first.context.span_id
    ]


def test_model_stream_closed_early(instrumented: LangChainInstrumentor, spans: Spans) -> None:
    model = ScriptedChat(replies=[reply("a long streamed answer")])
    stream = model.stream("hi")
    next(stream)
    stream.close()
    chat = one(spans(), CHAT)
    assert chat.status.status_code is StatusCode.UNSET
    assert chat.attributes is not None
    assert chat.attributes[semconv.AGENTOTEL_STREAM_ENDED_BY] == "closed"


async def test_async_agent(instrumented: LangChainInstrumentor, spans: Spans) -> None:
    agent = create_agent(react_model(), [add, multiply], name="calculator")
    await agent.ainvoke({"messages": [("user", "(2+3)*4?")]})
    got = spans()
    one_trace(got)
    assert tree(got) == [
        "invoke_agent calculator",
        f"  {CHAT}",
        "  execute_tool add",
        f"  {CHAT}",
        "  execute_tool multiply",
        f"  {CHAT}",
    ]


def test_metrics(
    instrumented: LangChainInstrumentor, spans: Spans, metric_reader: InMemoryMetricReader
) -> None:
    agent = create_agent(react_model(), [add, multiply], name="calculator")
    agent.invoke({"messages": [("user", "go")]})
    points = metric_points(metric_reader)
    durations = points["gen_ai.client.operation.duration"]
    chat_points = [
        p
        for p in durations
        if p.attributes.get(semconv.GEN_AI_OPERATION_NAME) == semconv.OP_CHAT  # type: ignore[attr-defined]
    ]
    assert sum(p.count for p in chat_points) == 3  # type: ignore[attr-defined]
    tokens = points["gen_ai.client.token.usage"]
    assert sum(p.sum for p in tokens) == 11 + 17 + 23 + 3 + 4 + 6  # type: ignore[attr-defined]


def test_agent_nests_under_callers_span(
    instrumented: LangChainInstrumentor, spans: Spans, tracer_provider: object
) -> None:
    from opentelemetry.sdk.trace import TracerProvider

    assert isinstance(tracer_provider, TracerProvider)
    tracer = tracer_provider.get_tracer("test")
    with tracer.start_as_current_span("request"):
        create_agent(react_model(), [add, multiply], name="calc").invoke(
            {"messages": [("user", "go")]}
        )
    got = spans()
    root = one(got, "request")
    assert parent_of(got, one(got, "invoke_agent calc")) is root
