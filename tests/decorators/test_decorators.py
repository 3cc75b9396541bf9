from __future__ import annotations

import asyncio
import gc
import inspect
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from agentotel import decorators as agentotel_decorators
from agentotel import semconv
from agentotel.decorators import (
    agent,
    set_agent_id,
    set_attributes,
    set_conversation_id,
    step,
    tool,
    workflow,
)
from tests.conftest import tree

pytestmark = pytest.mark.usefixtures("setup")


def by_name(exporter: InMemorySpanExporter) -> dict[str, Any]:
    return {s.name: s for s in exporter.get_finished_spans()}


class Boom(Exception):
    pass


# -- the four kinds of function ----------------------------------------------------------


def test_sync_agent_calls_tool(span_exporter: InMemorySpanExporter) -> None:
    @tool
    def lookup(city: str) -> str:
        """Look up the weather for a city.

        More text that is not the description.
        """
        return f"sunny in {city}"

    @agent(name="planner", agent_id="a-1", version="2", provider="openai", model="gpt-4o")
    def run(question: str) -> str:
        return lookup("Paris")

    assert run("weather?") == "sunny in Paris"
    assert tree(span_exporter.get_finished_spans()) == [
        "invoke_agent planner",
        "  execute_tool lookup",
    ]
    spans = by_name(span_exporter)
    agent_span = spans["invoke_agent planner"]
    assert agent_span.kind is SpanKind.INTERNAL
    assert agent_span.attributes[semconv.GEN_AI_OPERATION_NAME] == "invoke_agent"
    assert agent_span.attributes[semconv.GEN_AI_AGENT_NAME] == "planner"
    assert agent_span.attributes[semconv.GEN_AI_AGENT_ID] == "a-1"
    assert agent_span.attributes[semconv.GEN_AI_AGENT_VERSION] == "2"
    assert agent_span.attributes[semconv.GEN_AI_PROVIDER_NAME] == "openai"
    assert agent_span.attributes[semconv.GEN_AI_REQUEST_MODEL] == "gpt-4o"
    tool_span = spans["execute_tool lookup"]
    assert tool_span.attributes[semconv.GEN_AI_TOOL_NAME] == "lookup"
    assert tool_span.attributes[semconv.GEN_AI_TOOL_TYPE] == "function"
    assert (
        tool_span.attributes[semconv.GEN_AI_TOOL_DESCRIPTION] == "Look up the weather for a city."
    )
    # Content capture is off by default: no arguments, results or messages.
    for span in spans.values():
        assert semconv.GEN_AI_TOOL_CALL_ARGUMENTS not in span.attributes
        assert semconv.GEN_AI_TOOL_CALL_RESULT not in span.attributes
        assert semconv.GEN_AI_INPUT_MESSAGES not in span.attributes


async def test_async_workflow_agent_tool(span_exporter: InMemorySpanExporter) -> None:
    @tool(name="search", description="Search the web")
    async def search(query: str) -> list[str]:
        await asyncio.sleep(0)
        return [query]

    @agent(name="researcher")
    async def research(topic: str) -> list[str]:
        return await search(topic)

    @workflow(name="report")
    async def report() -> list[str]:
        return await research("otel")

    assert inspect.iscoroutinefunction(report)
    assert await report() == ["otel"]
    assert tree(span_exporter.get_finished_spans()) == [
        "invoke_workflow report",
        "  invoke_agent researcher",
        "    execute_tool search",
    ]
    spans = by_name(span_exporter)
    assert spans["invoke_workflow report"].attributes[semconv.GEN_AI_WORKFLOW_NAME] == "report"
    assert (
        spans["execute_tool search"].attributes[semconv.GEN_AI_TOOL_DESCRIPTION] == "Search the web"
    )


def test_generator_span_covers_iteration_and_children(span_exporter: InMemorySpanExporter) -> None:
    @step("inner")
    def inner() -> None:
        return None

    @tool
    def chunks(n: int) -> Iterator[int]:
        for i in range(n):
            inner()
            yield i

    assert inspect.isgeneratorfunction(chunks)
    gen = chunks(3)
    assert span_exporter.get_finished_spans() == ()
    assert next(gen) == 0
    assert span_exporter.get_finished_spans()[-1].name == "inner"
    assert list(gen) == [1, 2]
    assert tree(span_exporter.get_finished_spans()) == [
        "execute_tool chunks",
        "  inner",
        "  inner",
        "  inner",
    ]
    (tool_span,) = [
        s for s in span_exporter.get_finished_spans() if s.name == "execute_tool chunks"
    ]
    assert semconv.AGENTOTEL_STREAM_ENDED_BY not in tool_span.attributes


def test_generator_closed_early_ends_once(span_exporter: InMemorySpanExporter) -> None:
    closed = []

    @agent(name="streamer")
    def stream() -> Iterator[int]:
        try:
            yield 1
            yield 2
        finally:
            closed.append(True)

    gen = stream()
    assert next(gen) == 1
    gen.close()
    gen.close()
    assert closed == [True]
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes[semconv.AGENTOTEL_STREAM_ENDED_BY] == "closed"
    assert span.status.status_code is StatusCode.UNSET


def test_generator_abandoned_ends_on_gc(span_exporter: InMemorySpanExporter) -> None:
    @tool
    def numbers() -> Iterator[int]:
        yield from range(10)

    gen = numbers()
    next(gen)
    del gen
    gc.collect()
    (span,) = span_exporter.get_finished_spans()
    assert span.name == "execute_tool numbers"


def test_generator_error_is_recorded_and_reraised(span_exporter: InMemorySpanExporter) -> None:
    error = Boom("mid-stream")

    @tool
    def failing() -> Iterator[int]:
        yield 1
        raise error

    gen = failing()
    next(gen)
    with pytest.raises(Boom) as caught:
        next(gen)
    assert caught.value is error
    (span,) = span_exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes[semconv.ERROR_TYPE].endswith("Boom")


def test_generator_send_throw_and_return_value_pass_through(
    span_exporter: InMemorySpanExporter,
) -> None:
    @workflow(name="echo")
    def echo() -> Iterator[Any]:
        received = []
        while True:
            try:
                value = yield len(received)
            except Boom:
                yield "handled"
                continue
            if value is None:
                return received
            received.append(value)

    gen = echo()
    assert next(gen) == 0
    assert gen.send("a") == 1
    assert gen.throw(Boom()) == "handled"
    assert next(gen) == 1
    assert gen.send("b") == 2
    with pytest.raises(StopIteration) as stop:
        gen.send(None)
    assert stop.value.value == ["a", "b"]
    (span,) = span_exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.UNSET


async def test_async_generator_lifecycle_without_detach_errors(
    span_exporter: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    @step("child")
    async def child() -> None:
        await asyncio.sleep(0)

    @tool
    async def ticks(n: int) -> AsyncIterator[int]:
        for i in range(n):
            await child()
            yield i

    assert inspect.isasyncgenfunction(ticks)
    with caplog.at_level(logging.WARNING):
        # Exhausted, with each step driven by a different task.
        agen = ticks(3)
        items = [await asyncio.create_task(agen.__anext__()) for _ in range(3)]
        assert items == [0, 1, 2]
        with pytest.raises(StopAsyncIteration):
            await asyncio.create_task(agen.__anext__())
        # Closed early from another task.
        agen2 = ticks(5)
        assert await agen2.__anext__() == 0
        await asyncio.create_task(agen2.aclose())
        # Abandoned and collected: the loop's asyncgen hook closes it.
        agen3 = ticks(5)
        assert await agen3.__anext__() == 0
        del agen3
        gc.collect()
        await asyncio.sleep(0.01)
    assert "Failed to detach context" not in caplog.text
    tools = [s for s in span_exporter.get_finished_spans() if s.name == "execute_tool ticks"]
    assert len(tools) == 3
    tool_ids = {s.context.span_id for s in tools}
    children = [s for s in span_exporter.get_finished_spans() if s.name == "child"]
    assert children and all(c.parent.span_id in tool_ids for c in children)
    assert [s.attributes.get(semconv.AGENTOTEL_STREAM_ENDED_BY) for s in tools].count("closed") == 2


async def test_async_generator_error(span_exporter: InMemorySpanExporter) -> None:
    error = Boom("x")

    @agent(name="a")
    async def failing() -> AsyncIterator[int]:
        yield 1
        raise error

    items = []
    with pytest.raises(Boom) as caught:
        async for item in failing():
            items.append(item)
    assert caught.value is error and items == [1]
    (span,) = span_exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR


# -- errors ---------------------------------------------------------------------------


def test_exception_recorded_and_reraised_unchanged(span_exporter: InMemorySpanExporter) -> None:
    error = Boom("broken tool")

    @tool
    def broken() -> None:
        raise error

    with pytest.raises(Boom) as caught:
        broken()
    assert caught.value is error
    (span,) = span_exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes[semconv.ERROR_TYPE] == f"{Boom.__module__}.Boom"
    assert [e.name for e in span.events] == ["exception"]


async def test_async_exception_and_cancellation(span_exporter: InMemorySpanExporter) -> None:
    @tool
    async def slow() -> None:
        await asyncio.sleep(10)

    task = asyncio.create_task(slow())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (span,) = span_exporter.get_finished_spans()
    # Cancellation is the caller's decision, not the tool's failure.
    assert semconv.ERROR_TYPE not in span.attributes
    assert span.attributes[semconv.AGENTOTEL_STREAM_ENDED_BY] == "cancelled"


# -- decorator shapes -------------------------------------------------------------------


def test_wraps_keeps_metadata_and_methods_skip_self(span_exporter: InMemorySpanExporter) -> None:
    class Agent:
        @agent(name="m")
        def answer(self, q: str) -> str:
            """Answer."""
            return q.upper()

        @tool
        @staticmethod
        def helper(x: int) -> int:
            return x + 1

    assert Agent.answer.__name__ == "answer"
    assert Agent.answer.__doc__ == "Answer."
    assert Agent().answer("hi") == "HI"
    assert Agent.helper(1) == 2
    assert [s.name for s in span_exporter.get_finished_spans()] == [
        "invoke_agent m",
        "execute_tool helper",
    ]


def test_step_as_context_manager_decorator_and_bare(span_exporter: InMemorySpanExporter) -> None:
    with step("retry", attributes={"app.attempt": 2}) as inv:
        assert inv is not None
        inv.set("app.outcome", "ok")

    @step("decide")
    def decide() -> str:
        return "left"

    @step
    def plan() -> str:
        return "p"

    assert decide() == "left" and plan() == "p"
    spans = by_name(span_exporter)
    assert spans["retry"].attributes[semconv.AGENTOTEL_STEP_NAME] == "retry"
    assert spans["retry"].attributes["app.attempt"] == 2
    assert spans["retry"].attributes["app.outcome"] == "ok"
    assert spans["decide"].kind is SpanKind.INTERNAL
    assert "plan" in spans


async def test_async_with_and_context_manager_errors(span_exporter: InMemorySpanExporter) -> None:
    async with agent(name="outer"):
        with tool(name="manual", call_id="call_9") as inv:
            inv.arguments = {"q": 1}  # ignored: content capture is off
    with pytest.raises(Boom), workflow(name="wf"):
        raise Boom
    assert tree(span_exporter.get_finished_spans()) == [
        "invoke_agent outer",
        "  execute_tool manual",
        "invoke_workflow wf",
    ]
    spans = by_name(span_exporter)
    assert spans["execute_tool manual"].attributes[semconv.GEN_AI_TOOL_CALL_ID] == "call_9"
    assert semconv.GEN_AI_TOOL_CALL_ARGUMENTS not in spans["execute_tool manual"].attributes
    assert spans["invoke_workflow wf"].status.status_code is StatusCode.ERROR


# -- tool call ids ------------------------------------------------------------------------


def test_tool_call_id_keyword_is_stripped_or_passed(span_exporter: InMemorySpanExporter) -> None:
    @tool
    def plain(x: int) -> int:
        return x

    @tool
    def wants_id(x: int, tool_call_id: str | None = None) -> str | None:
        return tool_call_id

    assert plain(1, tool_call_id="call_a") == 1
    assert wants_id(2, tool_call_id="call_b") == "call_b"
    with agentotel_decorators.tool_call("call_c"):
        plain(3)
        plain(4)  # the id is used once
    ids = [
        s.attributes.get(semconv.GEN_AI_TOOL_CALL_ID) for s in span_exporter.get_finished_spans()
    ]
    assert ids == ["call_a", "call_b", "call_c", None]


# -- annotation -----------------------------------------------------------------------------


def test_set_attributes_on_current_span(span_exporter: InMemorySpanExporter) -> None:
    @agent(name="annotated")
    def run() -> None:
        set_conversation_id("conv-1")
        set_agent_id("agent-7")
        set_attributes(
            {"app.user.tier": "pro"}, retries=2, tags=["a", "b"], blob={"k": [1, 2]}, skipped=None
        )

    run()
    set_attributes(outside=True)  # no current span: a no-op
    (span,) = span_exporter.get_finished_spans()
    attrs = span.attributes
    assert attrs[semconv.GEN_AI_CONVERSATION_ID] == "conv-1"
    assert attrs[semconv.GEN_AI_AGENT_ID] == "agent-7"
    assert attrs["app.user.tier"] == "pro"
    assert attrs["retries"] == 2
    assert attrs["tags"] == ("a", "b")
    assert json.loads(attrs["blob"]) == {"k": [1, 2]}
    assert "skipped" not in attrs


# -- telemetry failures never break the call --------------------------------------------------


def test_telemetry_failure_still_runs_the_function(
    monkeypatch: pytest.MonkeyPatch, span_exporter: InMemorySpanExporter
) -> None:
    monkeypatch.setenv("AGENTOTEL_STRICT", "0")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("telemetry bug")

    handler = agentotel_decorators.handler()
    monkeypatch.setattr(handler, "tool", broken)
    monkeypatch.setattr(handler, "agent", broken)

    @tool
    def add(a: int, b: int) -> int:
        return a + b

    @agent(name="x")
    def gen() -> Iterator[int]:
        yield 1

    @agent(name="y")
    async def agen() -> AsyncIterator[int]:
        yield 2

    async def drain() -> list[int]:
        return [i async for i in agen()]

    assert add(1, 2) == 3
    assert add(1, 2, tool_call_id="c") == 3
    assert list(gen()) == [1]
    assert asyncio.run(drain()) == [2]
    assert span_exporter.get_finished_spans() == ()


def test_with_block_survives_telemetry_failure(
    monkeypatch: pytest.MonkeyPatch, span_exporter: InMemorySpanExporter
) -> None:
    monkeypatch.setenv("AGENTOTEL_STRICT", "0")
    handler = agentotel_decorators.handler()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("telemetry bug")

    outer = step("outer")
    with outer:
        monkeypatch.setattr(handler, "step", broken)
        with step("inner") as inv:
            inv.set("k", "v")
            inv.arguments = {"ignored": True}
        monkeypatch.undo()
    assert [s.name for s in span_exporter.get_finished_spans()] == ["outer"]
