"""Decorated generator functions behave like the originals when called, not only when iterated."""

from __future__ import annotations

import copy
import functools
import gc
import inspect
import pickle
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentotel import semconv
from agentotel.decorators import step, tool
from tests.conftest import tree

pytestmark = pytest.mark.usefixtures("setup")


@tool
def numbers(n: int) -> Iterator[int]:
    yield from range(n)


@tool
async def ticks(n: int) -> AsyncIterator[int]:
    for i in range(n):
        yield i


def test_generator_wrong_arguments_raise_at_call_time(
    span_exporter: InMemorySpanExporter,
) -> None:
    with pytest.raises(TypeError, match="positional argument"):
        numbers(1, 2, 3)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword"):
        numbers(m=1)  # type: ignore[call-arg]
    assert span_exporter.get_finished_spans() == ()


def test_async_generator_wrong_arguments_raise_at_call_time(
    span_exporter: InMemorySpanExporter,
) -> None:
    with pytest.raises(TypeError, match="positional argument"):
        ticks(1, 2)  # type: ignore[call-arg]
    assert span_exporter.get_finished_spans() == ()


async def test_calls_still_start_the_span_at_first_iteration(
    span_exporter: InMemorySpanExporter,
) -> None:
    gen, agen = numbers(2), ticks(2)
    assert inspect.isgenerator(gen) and inspect.isasyncgen(agen)
    assert span_exporter.get_finished_spans() == ()
    assert list(gen) == [0, 1]
    assert [i async for i in agen] == [0, 1]
    assert [s.name for s in span_exporter.get_finished_spans()] == [
        "execute_tool numbers",
        "execute_tool ticks",
    ]
    # Created and never iterated: no span, nothing left open.
    unused = numbers(3)
    del unused
    gc.collect()
    assert len(span_exporter.get_finished_spans()) == 2


def test_tool_call_id_is_taken_before_the_eager_call(span_exporter: InMemorySpanExporter) -> None:
    gen = numbers(2, tool_call_id="call_1")  # type: ignore[call-arg]
    assert list(gen) == [0, 1]
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes[semconv.GEN_AI_TOOL_CALL_ID] == "call_1"


def test_generator_methods_partials_and_stacked_decorators(
    span_exporter: InMemorySpanExporter,
) -> None:
    class Source:
        @tool
        def rows(self, n: int) -> Iterator[int]:
            """Rows of the source."""
            yield from range(n)

        @tool
        async def events(self) -> AsyncIterator[int]:
            yield 1

    source = Source()
    assert inspect.isgeneratorfunction(Source.rows)
    assert inspect.isgeneratorfunction(source.rows)
    assert inspect.isasyncgenfunction(source.events)
    assert list(inspect.signature(source.rows).parameters) == ["n"]
    assert Source.rows.__doc__ == "Rows of the source."
    assert list(source.rows(2)) == [0, 1]
    with pytest.raises(TypeError):
        source.rows(1, 2)  # type: ignore[call-arg]

    def add(a: int, b: int) -> Iterator[int]:
        yield a + b

    partial = tool(name="add")(functools.partial(add, 1))
    assert inspect.isgeneratorfunction(partial)
    assert list(partial(2)) == [3]

    stacked = step("outer")(numbers)
    assert inspect.isgeneratorfunction(stacked)
    assert list(stacked(1)) == [0]
    assert tree(span_exporter.get_finished_spans()) == [
        "execute_tool rows",
        "execute_tool add",
        "outer",
        "  execute_tool numbers",
    ]


def test_decorated_generator_pickles_by_reference() -> None:
    restored: Any = pickle.loads(pickle.dumps(numbers))
    assert restored is numbers
    assert copy.deepcopy(numbers) is numbers
    assert list(restored(1)) == [0]
