"""One spec object used as a context manager by many tasks, threads and nested blocks."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import logging
import threading
from collections.abc import AsyncIterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentotel.decorators import set_attributes, step, tool
from tests.conftest import tree

pytestmark = pytest.mark.usefixtures("setup")

# Module level and reused, as in `plan = agentotel.step("plan")` at the top of an app.
plan = step("plan")


def current_span_id() -> int:
    return trace.get_current_span().get_span_context().span_id


def by_worker(exporter: InMemorySpanExporter) -> dict[Any, Any]:
    return {s.attributes.get("worker"): s for s in exporter.get_finished_spans()}


async def test_shared_spec_in_overlapping_tasks(
    span_exporter: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    # Task 1 enters, task 2 enters, task 1 exits while task 2 is still inside.
    entered_1, entered_2, exited_1 = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def worker(i: int) -> tuple[bool, bool]:
        if i == 2:
            await entered_1.wait()
        async with plan as inv:
            (entered_1 if i == 1 else entered_2).set()
            await (entered_2 if i == 1 else exited_1).wait()
            set_attributes(worker=i)
            own = current_span_id() == inv.span.get_span_context().span_id
        if i == 1:
            exited_1.set()
        return own, trace.get_current_span().get_span_context().is_valid

    with caplog.at_level(logging.WARNING):
        results = await asyncio.gather(worker(1), worker(2))
    assert results == [(True, False), (True, False)]
    assert "Failed to detach context" not in caplog.text
    spans = by_worker(span_exporter)
    assert set(spans) == {1, 2}
    assert spans[1].end_time < spans[2].end_time  # each exit ended its own span
    assert tree(span_exporter.get_finished_spans()) == ["plan", "plan"]


def test_shared_spec_in_overlapping_threads(
    span_exporter: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    entered_1, entered_2, exited_1 = threading.Event(), threading.Event(), threading.Event()
    results: dict[int, tuple[bool, bool]] = {}

    def worker(i: int) -> None:
        if i == 2:
            entered_1.wait(5)
        with plan as inv:
            (entered_1 if i == 1 else entered_2).set()
            (entered_2 if i == 1 else exited_1).wait(5)
            set_attributes(worker=i)
            own = current_span_id() == inv.span.get_span_context().span_id
        if i == 1:
            exited_1.set()
        results[i] = (own, trace.get_current_span().get_span_context().is_valid)

    threads = [threading.Thread(target=worker, args=(i,)) for i in (1, 2)]
    with caplog.at_level(logging.WARNING):
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert results == {1: (True, False), 2: (True, False)}
    assert "Failed to detach context" not in caplog.text
    spans = by_worker(span_exporter)
    assert spans[1].end_time < spans[2].end_time


def test_shared_spec_nested_in_itself(
    span_exporter: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    def recurse(depth: int) -> None:
        with plan as inv:
            set_attributes(worker=depth)
            if depth < 3:
                recurse(depth + 1)
            # The inner blocks have ended and this block's span is current again.
            assert current_span_id() == inv.span.get_span_context().span_id

    with caplog.at_level(logging.WARNING):
        recurse(1)
        with plan, plan:
            pass
    assert not trace.get_current_span().get_span_context().is_valid
    assert "Failed to detach context" not in caplog.text
    assert tree(span_exporter.get_finished_spans()) == [
        "plan",
        "  plan",
        "    plan",
        "plan",
        "  plan",
    ]
    spans = by_worker(span_exporter)
    assert spans[3].end_time <= spans[2].end_time <= spans[1].end_time


async def test_block_in_generator_closed_from_another_task(
    span_exporter: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    async def pages() -> AsyncIterator[int]:
        async with step("fetch"):
            yield 1
            yield 2

    with caplog.at_level(logging.WARNING):
        agen = pages()
        assert await asyncio.create_task(agen.__anext__()) == 1  # entered in one task
        await asyncio.create_task(agen.aclose())  # exited in another
        abandoned = pages()
        assert await asyncio.create_task(abandoned.__anext__()) == 1
        del abandoned
        gc.collect()
        await asyncio.sleep(0.01)  # the loop's asyncgen hook closes it in a new task
    assert "Failed to detach context" not in caplog.text
    assert [s.name for s in span_exporter.get_finished_spans()] == ["fetch", "fetch"]


async def test_ambiguous_exit_from_another_task_never_ends_the_wrong_span(
    span_exporter: InMemorySpanExporter,
) -> None:
    shared = tool(name="shared")
    held_open, release = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with shared:
            held_open.set()
            await release.wait()
            set_attributes(worker="holder")

    async def pages() -> AsyncIterator[int]:
        async with shared:
            yield 1

    task = asyncio.create_task(holder())
    await held_open.wait()
    agen = pages()
    assert await asyncio.create_task(agen.__anext__()) == 1
    # Two blocks of `shared` are open elsewhere: this exit cannot tell which is its own.
    await asyncio.create_task(agen.aclose())
    release.set()
    await task
    (held,) = span_exporter.get_finished_spans()
    assert held.attributes["worker"] == "holder"  # ended by its own exit, not the generator's


def test_exit_in_a_copied_context_ends_the_span_once(
    span_exporter: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    block = step("copied")
    with caplog.at_level(logging.WARNING):
        block.__enter__()
        contextvars.copy_context().run(block.__exit__, None, None, None)
        assert len(span_exporter.get_finished_spans()) == 1
        block.__exit__(None, None, None)  # the entering context still cleans up
    assert not trace.get_current_span().get_span_context().is_valid
    assert "Failed to detach context" not in caplog.text
    assert [s.name for s in span_exporter.get_finished_spans()] == ["copied"]
