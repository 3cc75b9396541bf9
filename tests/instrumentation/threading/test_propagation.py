from __future__ import annotations

import asyncio
import contextvars
import decimal
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentotel
from agentotel.decorators import agent, tool
from agentotel.instrumentation.threading import PROPAGATE_CONTEXT_ENV, ThreadingInstrumentor
from tests.conftest import tree


@pytest.fixture
def setup(tracer_provider: TracerProvider, meter_provider: Any) -> Iterator[None]:
    agentotel.uninstrument()
    handle = agentotel.instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider, libraries=[]
    )
    yield
    handle.uninstrument()


@pytest.fixture
def propagating(setup: None) -> Iterator[ThreadingInstrumentor]:
    instrumentor = ThreadingInstrumentor()
    instrumentor.instrument()
    yield instrumentor
    instrumentor.uninstrument()


@tool
def work(i: int) -> int:
    return i * 2


def test_without_propagation_worker_spans_lose_their_parent(
    setup: None, span_exporter: InMemorySpanExporter
) -> None:
    @agent(name="boss")
    def run() -> None:
        with ThreadPoolExecutor(1) as pool:
            pool.submit(work, 1).result()

    run()
    assert sorted(tree(span_exporter.get_finished_spans())) == [
        "execute_tool work",
        "invoke_agent boss",
    ]


def test_submit_and_map_keep_parent(
    propagating: ThreadingInstrumentor, span_exporter: InMemorySpanExporter
) -> None:
    @agent(name="boss")
    def run() -> list[int]:
        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(work, 1).result()
            return [first, *pool.map(work, [2, 3])]

    assert run() == [2, 4, 6]
    assert (
        tree(span_exporter.get_finished_spans())
        == ["invoke_agent boss"] + ["  execute_tool work"] * 3
    )


def test_reused_worker_gets_each_submitters_trace_context_only(
    propagating: ThreadingInstrumentor, span_exporter: InMemorySpanExporter
) -> None:
    marker: contextvars.ContextVar[str] = contextvars.ContextVar("marker", default="unset")
    seen: list[tuple[str, bool]] = []

    def read_and_set() -> None:
        seen.append((marker.get(), trace.get_current_span().get_span_context().is_valid))
        marker.set("worker")  # the worker's own state, kept as without the patch

    pool = ThreadPoolExecutor(1)
    try:
        for name in ("a", "b"):

            @agent(name=name)
            def submit() -> None:
                pool.submit(work, 0).result()
                marker.set("submitter")  # never reaches the worker
                pool.submit(read_and_set).result()

            submit()
        pool.submit(read_and_set).result()  # no span here: none is left on the worker
    finally:
        pool.shutdown()
    assert seen == [("unset", True), ("worker", True), ("worker", False)]
    assert tree(span_exporter.get_finished_spans()) == [
        "invoke_agent a",
        "  execute_tool work",
        "invoke_agent b",
        "  execute_tool work",
    ]


conn: contextvars.ContextVar[str | None] = contextvars.ContextVar("conn", default=None)


def init_worker() -> None:
    conn.set("worker-connection")
    decimal.getcontext().prec = 5


def read_worker_state() -> tuple[str | None, str, bool]:
    third = str(decimal.Decimal(1) / decimal.Decimal(3))
    return conn.get(), third, trace.get_current_span().get_span_context().is_valid


@pytest.mark.parametrize("in_span", [False, True])
def test_pool_initializer_state_is_kept(
    propagating: ThreadingInstrumentor, span_exporter: InMemorySpanExporter, in_span: bool
) -> None:
    def run() -> list[tuple[str | None, str, bool]]:
        with ThreadPoolExecutor(1, initializer=init_worker) as pool:
            return [
                pool.submit(read_worker_state).result(),
                *pool.map(lambda _: read_worker_state(), [0]),
            ]

    results = agent(name="boss")(run)() if in_span else run()
    assert results == [("worker-connection", "0.33333", in_span)] * 2


async def test_run_in_executor_keeps_initializer_state(
    propagating: ThreadingInstrumentor,
) -> None:
    @agent(name="boss")
    async def run() -> tuple[str | None, str, bool]:
        with ThreadPoolExecutor(1, initializer=init_worker) as pool:
            return await asyncio.get_running_loop().run_in_executor(pool, read_worker_state)

    assert await run() == ("worker-connection", "0.33333", True)


def test_submit_keyword_arguments_named_like_the_helper_pass_through(
    propagating: ThreadingInstrumentor,
) -> None:
    def echo(*args: Any, **kwargs: Any) -> tuple[Any, ...]:
        return args, kwargs

    @agent(name="boss")
    def run() -> Any:
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(echo, 1, ctx="c", fn="f").result()

    assert run() == ((1,), {"ctx": "c", "fn": "f"})


async def test_asyncio_executors_and_tasks_keep_parent(
    propagating: ThreadingInstrumentor, span_exporter: InMemorySpanExporter
) -> None:
    @agent(name="async-boss")
    async def run() -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, work, 1)
        with ThreadPoolExecutor(1) as pool:
            await loop.run_in_executor(pool, work, 2)
        await asyncio.to_thread(work, 3)
        await asyncio.gather(asyncio.to_thread(work, 4), async_work(5))
        if sys.version_info >= (3, 11):
            async with asyncio.TaskGroup() as group:
                group.create_task(async_work(6))
                group.create_task(asyncio.to_thread(work, 7))

    await run()
    lines = tree(span_exporter.get_finished_spans())
    assert lines[0] == "invoke_agent async-boss"
    children = lines[1:]
    expected = 7 if sys.version_info >= (3, 11) else 5
    assert len(children) == expected
    assert all(line.startswith("  execute_tool ") for line in children)


@tool
async def async_work(i: int) -> int:
    await asyncio.sleep(0)
    return i


def test_uninstrument_restores_submit(setup: None) -> None:
    original = ThreadPoolExecutor.submit
    instrumentor = ThreadingInstrumentor()
    instrumentor.instrument()
    instrumentor.instrument()  # second call is a no-op
    assert ThreadPoolExecutor.submit is not original
    instrumentor.uninstrument()
    assert ThreadPoolExecutor.submit is original


def test_opt_out_by_environment(
    setup: None, monkeypatch: pytest.MonkeyPatch, span_exporter: InMemorySpanExporter
) -> None:
    monkeypatch.setenv(PROPAGATE_CONTEXT_ENV, "false")
    original = ThreadPoolExecutor.submit
    instrumentor = ThreadingInstrumentor()
    instrumentor.instrument()
    try:
        assert ThreadPoolExecutor.submit is original
    finally:
        instrumentor.uninstrument()
    assert ThreadPoolExecutor.submit is original


def test_submit_errors_and_results_pass_through(propagating: ThreadingInstrumentor) -> None:
    error = ValueError("job failed")

    def fail() -> None:
        raise error

    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(fail)
        with pytest.raises(ValueError) as caught:
            future.result()
        assert caught.value is error
        assert pool.submit(lambda a, b=0: a + b, 1, b=2).result() == 3
