"""BatchSpanProcessor end to end: batching, bounds, flush/shutdown deadlines, fork, exit, metrics."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
import weakref
from collections.abc import Iterator, Sequence

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from agentotel import semconv
from agentotel.export import BatchSpanProcessor, OTLPSpanExporter
from agentotel.export._processor import ENCODE_CHUNK
from tests.conftest import metric_points
from tests.export.receiver import Receiver, Reply, closed_port_url


def exporter_for(url: str, **kwargs: object) -> OTLPSpanExporter:
    options: dict[str, object] = {
        "timeout": 1.0,
        "retry_initial_backoff": 0.01,
        "retry_max_backoff": 0.05,
        "breaker_cooldown": 0.2,
    }
    options.update(kwargs)
    return OTLPSpanExporter(url, **options)  # type: ignore[arg-type]


def pipeline(processor: BatchSpanProcessor) -> TracerProvider:
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(processor)
    return provider


def end_spans(provider: TracerProvider, count: int, prefix: str = "s") -> None:
    tracer = provider.get_tracer("tests.export")
    for i in range(count):
        tracer.start_span(f"{prefix}{i}").end()


class BlockingExporter(SpanExporter):
    """Holds every export until released: a stand-in for a stuck backend."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.exported: list[ReadableSpan] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.release.wait(10)
        self.exported.extend(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self.release.set()


@pytest.fixture
def blocking() -> Iterator[BlockingExporter]:
    exporter = BlockingExporter()
    yield exporter
    exporter.release.set()


def test_spans_reach_the_receiver(receiver: Receiver) -> None:
    processor = BatchSpanProcessor(exporter_for(receiver.url), schedule_delay_millis=50)
    provider = pipeline(processor)
    end_spans(provider, 10)
    assert processor.force_flush(5000)
    assert sorted(s.name for s in receiver.spans()) == sorted(f"s{i}" for i in range(10))
    stats = processor.stats()
    assert (stats.processed, stats.exported, stats.lost) == (10, 10, 0)
    assert processor.shutdown(5000)


def test_full_batch_goes_out_before_the_delay(receiver: Receiver) -> None:
    processor = BatchSpanProcessor(
        exporter_for(receiver.url), schedule_delay_millis=60_000, max_export_batch_size=8
    )
    provider = pipeline(processor)
    end_spans(provider, 8)
    assert len(receiver.wait_for_spans(8, timeout=5)) == 8
    end_spans(provider, 3)  # a partial batch waits for the (long) delay
    time.sleep(0.2)
    assert len(receiver.spans()) == 8
    processor.shutdown(5000)
    assert len(receiver.spans()) == 11


def wait_until(predicate: object, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def test_spans_are_encoded_and_freed_before_their_batch_fills(receiver: Receiver) -> None:
    processor = BatchSpanProcessor(exporter_for(receiver.url), schedule_delay_millis=60_000)
    provider = pipeline(processor)
    tracer = provider.get_tracer("tests.export")
    refs = []
    for i in range(2 * ENCODE_CHUNK):
        span = tracer.start_span(f"s{i}")
        span.end()
        refs.append(weakref.ref(span))
    del span
    assert wait_until(lambda: processor.stats().encoded_unsent == 2 * ENCODE_CHUNK)
    stats = processor.stats()
    assert stats.queue_size == 0 and stats.pending_bytes > 0
    assert receiver.spans() == []  # the batch is not full and its delay has not passed
    # Only bytes are kept: the span objects are freed (by reference counting alone).
    assert wait_until(lambda: all(ref() is None for ref in refs))
    assert processor.force_flush(5000)
    assert len(receiver.spans()) == 2 * ENCODE_CHUNK
    assert processor.stats().encoded_unsent == 0
    processor.shutdown(1000)


def test_a_full_chunk_is_encoded_on_the_ending_thread(receiver: Receiver) -> None:
    """No background wake-up per chunk: the thread that fills a chunk encodes it, at once."""
    processor = BatchSpanProcessor(exporter_for(receiver.url), schedule_delay_millis=60_000)
    provider = pipeline(processor)
    end_spans(provider, 1)  # the first span starts the threads
    assert processor.force_flush(5000)
    end_spans(provider, ENCODE_CHUNK)
    stats = processor.stats()  # no waiting: the chunk was encoded inside the last end()
    assert (stats.queue_size, stats.encoded_unsent) == (0, ENCODE_CHUNK)
    end_spans(provider, ENCODE_CHUNK - 1, "t")
    assert processor.stats().queue_size == ENCODE_CHUNK - 1  # below a chunk: left queued
    assert processor.force_flush(5000)
    assert len(receiver.spans()) == 2 * ENCODE_CHUNK
    processor.shutdown(1000)


def test_inline_encoding_never_waits_for_a_stuck_sender(receiver: Receiver) -> None:
    processor = BatchSpanProcessor(
        exporter_for(receiver.url, timeout=5),
        max_queue_size=512,
        max_export_batch_size=ENCODE_CHUNK,
        schedule_delay_millis=60_000,
        max_queue_bytes=1,
    )
    provider = pipeline(processor)
    end_spans(provider, 1)
    assert processor.force_flush(5000)
    receiver.script.extend([Reply(200, delay=1.0)])
    end_spans(provider, ENCODE_CHUNK, "a")  # a full batch, now in flight for a second
    time.sleep(0.05)
    started = time.monotonic()
    end_spans(provider, 4 * ENCODE_CHUNK, "b")  # the outbox is over budget: nothing may wait
    assert time.monotonic() - started < 0.5
    assert processor.force_flush(5000)
    assert len(receiver.spans()) == 1 + 5 * ENCODE_CHUNK
    processor.shutdown(1000)


def test_batches_never_exceed_the_batch_size(receiver: Receiver) -> None:
    processor = BatchSpanProcessor(
        exporter_for(receiver.url), schedule_delay_millis=60_000, max_export_batch_size=20
    )
    provider = pipeline(processor)
    end_spans(provider, 75)
    assert processor.force_flush(5000)
    sizes = [
        sum(len(ss.spans) for rs in rec.request.resource_spans for ss in rs.scope_spans)
        for rec in receiver.received
    ]
    assert sizes == [20, 20, 20, 15]
    processor.shutdown(1000)


def test_partial_batch_goes_out_after_the_delay(receiver: Receiver) -> None:
    processor = BatchSpanProcessor(exporter_for(receiver.url), schedule_delay_millis=100)
    provider = pipeline(processor)
    end_spans(provider, 3)
    assert len(receiver.wait_for_spans(3, timeout=5)) == 3
    processor.shutdown(5000)


def test_env_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_BSP_MAX_QUEUE_SIZE", "64")
    monkeypatch.setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "16")
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "250")
    monkeypatch.setenv("OTEL_BSP_EXPORT_TIMEOUT", "1500")
    monkeypatch.setenv("AGENTOTEL_BSP_MAX_QUEUE_BYTES", "4096")
    processor = BatchSpanProcessor(InMemorySpanExporter())
    assert (processor._capacity, processor._batch, processor._delay) == (64, 16, 0.25)
    assert (processor._export_timeout, processor._budget) == (1.5, 4096)
    processor.shutdown(1000)
    processor = BatchSpanProcessor(
        InMemorySpanExporter(), max_queue_size=10, max_export_batch_size=5
    )
    assert (processor._capacity, processor._batch) == (10, 5)
    processor.shutdown(1000)
    with pytest.raises(ValueError):
        BatchSpanProcessor(InMemorySpanExporter(), max_queue_size=4, max_export_batch_size=8)


def test_sampled_out_spans_cost_nothing() -> None:
    exporter = InMemorySpanExporter()
    processor = BatchSpanProcessor(exporter, schedule_delay_millis=50)
    provider = TracerProvider(sampler=ALWAYS_OFF, shutdown_on_exit=False)
    provider.add_span_processor(processor)
    end_spans(provider, 5)
    assert processor.stats().queue_size == 0
    assert processor._encoder is None  # not even a thread was started
    assert processor.force_flush(1000)
    assert exporter.get_finished_spans() == ()
    processor.shutdown(1000)


def test_works_with_any_span_exporter() -> None:
    exporter = InMemorySpanExporter()
    processor = BatchSpanProcessor(exporter, schedule_delay_millis=50, max_export_batch_size=4)
    provider = pipeline(processor)
    end_spans(provider, 10)
    assert processor.force_flush(5000)
    assert len(exporter.get_finished_spans()) == 10
    assert processor.stats().exported == 10
    processor.shutdown(1000)


def test_queue_overflow_drops_newest_and_counts(blocking: BlockingExporter) -> None:
    processor = BatchSpanProcessor(
        blocking, max_queue_size=8, max_export_batch_size=4, schedule_delay_millis=10
    )
    provider = pipeline(processor)
    end_spans(provider, 4, "first")  # taken by the stuck export
    deadline = time.monotonic() + 5
    while processor.stats().processed < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    end_spans(provider, 30, "later")
    stats = processor.stats()
    assert stats.dropped.get(semconv.DROP_QUEUE_FULL, 0) > 0
    blocking.release.set()
    assert processor.force_flush(5000)
    stats = processor.stats()
    kept = len(blocking.exported)
    assert kept + stats.dropped[semconv.DROP_QUEUE_FULL] == 34  # every span accounted for
    assert {s.name for s in blocking.exported} >= {"first0", "later0"}  # newest were dropped
    processor.shutdown(1000)


def test_spans_after_shutdown_are_counted(receiver: Receiver) -> None:
    processor = BatchSpanProcessor(exporter_for(receiver.url))
    provider = pipeline(processor)
    assert processor.shutdown(2000)
    end_spans(provider, 3)
    assert processor.stats().dropped == {semconv.DROP_ALREADY_SHUTDOWN: 3}
    assert processor.force_flush(100) is False
    assert processor.shutdown(100) is False


def test_flush_reports_failure_when_the_endpoint_is_down() -> None:
    exporter = exporter_for(closed_port_url(), breaker_threshold=2)
    processor = BatchSpanProcessor(exporter, schedule_delay_millis=50)
    provider = pipeline(processor)
    for _ in range(2):  # a flush gives up at the first refused connection: one attempt each
        end_spans(provider, 5)
        started = time.monotonic()
        assert processor.force_flush(3000) is False
        assert time.monotonic() - started < 1.0
    end_spans(provider, 5)  # two refused attempts opened the breaker: dropped without encoding
    assert processor.force_flush(3000) is False
    stats = processor.stats()
    assert stats.exported == 0 and stats.failed.get(semconv.DROP_CIRCUIT_OPEN) == 5
    assert stats.failed.get("ConnectionRefusedError") == 10
    assert stats.lost == 15
    processor.shutdown(1000)


def test_flush_deadline_is_honoured_with_a_slow_endpoint(receiver: Receiver) -> None:
    receiver.script.extend([Reply(200, delay=1.5)] * 2)
    processor = BatchSpanProcessor(exporter_for(receiver.url, timeout=5), schedule_delay_millis=50)
    provider = pipeline(processor)
    end_spans(provider, 2)
    started = time.monotonic()
    assert processor.force_flush(300) is False
    assert time.monotonic() - started < 1.0
    assert processor.force_flush(5000) is True  # the slow request completes later
    processor.shutdown(2000)


def test_shutdown_deadline_is_honoured(receiver: Receiver) -> None:
    receiver.script.extend([Reply(503, headers={"Retry-After": "30"})])
    processor = BatchSpanProcessor(
        exporter_for(receiver.url, timeout=60),
        schedule_delay_millis=50,
        export_timeout_millis=60_000,
    )
    provider = pipeline(processor)
    end_spans(provider, 2)
    time.sleep(0.2)
    started = time.monotonic()
    assert processor.shutdown(400) is False
    assert time.monotonic() - started < 1.5


def test_flush_waits_for_retries_and_reports_success(receiver: Receiver) -> None:
    receiver.script.extend([Reply(503), Reply(429, headers={"Retry-After": "0.05"})])
    processor = BatchSpanProcessor(exporter_for(receiver.url, breaker_threshold=5))
    provider = pipeline(processor)
    end_spans(provider, 3)
    assert processor.force_flush(5000) is True
    assert len(receiver.spans()) == 3
    processor.shutdown(1000)


def test_byte_budget_bounds_pending_batches(receiver: Receiver) -> None:
    receiver.script.extend([Reply(200, delay=0.5)])
    processor = BatchSpanProcessor(
        exporter_for(receiver.url, timeout=5),
        max_queue_size=64,
        max_export_batch_size=8,
        schedule_delay_millis=10,
        max_queue_bytes=1,
    )
    provider = pipeline(processor)
    end_spans(provider, 8, "a")
    time.sleep(0.1)
    end_spans(provider, 40, "b")
    time.sleep(0.1)
    stats = processor.stats()
    assert stats.pending_bytes_capacity == 1
    assert stats.queue_size >= 24  # the encoder stopped taking spans while a batch was pending
    assert processor.force_flush(5000)
    assert len(receiver.spans()) == 48
    processor.shutdown(1000)


def test_processor_metrics(receiver: Receiver) -> None:
    reader = InMemoryMetricReader()
    meters = MeterProvider(metric_readers=[reader])
    processor = BatchSpanProcessor(
        exporter_for(receiver.url), max_queue_size=100, meter_provider=meters
    )
    provider = pipeline(processor)
    end_spans(provider, 4)
    assert processor.force_flush(5000)
    processor.shutdown(1000)
    end_spans(provider, 2)
    points = metric_points(reader)
    processed = {
        p.attributes.get(semconv.ERROR_TYPE): p.value  # type: ignore[attr-defined]
        for p in points[semconv.OTEL_SDK_PROCESSOR_SPAN_PROCESSED]
    }
    assert processed == {None: 4, semconv.DROP_ALREADY_SHUTDOWN: 2}
    attrs = points[semconv.OTEL_SDK_PROCESSOR_SPAN_PROCESSED][0].attributes  # type: ignore[attr-defined]
    assert attrs[semconv.OTEL_COMPONENT_TYPE] == "batching_span_processor"
    assert [p.value for p in points[semconv.OTEL_SDK_PROCESSOR_SPAN_QUEUE_CAPACITY]] == [100]  # type: ignore[attr-defined]
    assert [p.value for p in points[semconv.OTEL_SDK_PROCESSOR_SPAN_QUEUE_SIZE]] == [0]  # type: ignore[attr-defined]
    assert semconv.OTEL_SDK_EXPORTER_SPAN_EXPORTED in points
    meters.shutdown()


def test_many_threads_lose_nothing(receiver: Receiver) -> None:
    processor = BatchSpanProcessor(
        exporter_for(receiver.url), max_queue_size=100_000, max_export_batch_size=64
    )
    provider = pipeline(processor)
    threads = [threading.Thread(target=end_spans, args=(provider, 200, f"t{i}-")) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert processor.force_flush(10_000)
    assert len(receiver.spans()) == 800
    assert processor.stats().exported == 800
    processor.shutdown(1000)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_child_starts_empty_with_its_own_worker(receiver: Receiver) -> None:
    processor = BatchSpanProcessor(exporter_for(receiver.url), schedule_delay_millis=60_000)
    provider = pipeline(processor)
    end_spans(provider, 3, "parent")  # queued, not yet exported
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            queued = processor.stats().queue_size
            end_spans(provider, 2, "child")
            ok = processor.force_flush(5000)
            code = 0 if (queued == 0 and ok) else 2
        finally:
            os.write(write_fd, bytes([code]))
            os._exit(code)
    os.close(write_fd)
    _, status = os.waitpid(pid, 0)
    assert os.read(read_fd, 1) == b"\x00"
    os.close(read_fd)
    assert os.waitstatus_to_exitcode(status) == 0
    assert sorted(s.name for s in receiver.spans()) == ["child0", "child1"]
    assert processor.force_flush(5000)
    names = sorted(s.name for s in receiver.spans())
    assert names == ["child0", "child1", "parent0", "parent1", "parent2"]
    processor.shutdown(1000)


def test_spans_are_flushed_at_interpreter_exit(receiver: Receiver) -> None:
    script = textwrap.dedent(
        f"""
        from opentelemetry.sdk.trace import TracerProvider
        from agentotel.export import BatchSpanProcessor, OTLPSpanExporter

        provider = TracerProvider(shutdown_on_exit=False)
        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter({receiver.url!r}), schedule_delay_millis=60_000)
        )
        tracer = provider.get_tracer("exit")
        for i in range(5):
            tracer.start_span(f"exit{{i}}").end()
        """
    )
    env = {**os.environ, "AGENTOTEL_STRICT": "0"}
    env.pop("PYTEST_CURRENT_TEST", None)
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, timeout=30, capture_output=True
    )
    assert result.returncode == 0, result.stderr
    assert sorted(s.name for s in receiver.spans()) == [f"exit{i}" for i in range(5)]


def test_exit_flush_is_bounded_when_the_endpoint_hangs(receiver: Receiver) -> None:
    receiver.script.extend([Reply(200, delay=10)] * 3)
    script = textwrap.dedent(
        f"""
        from opentelemetry.sdk.trace import TracerProvider
        from agentotel.export import BatchSpanProcessor, OTLPSpanExporter

        provider = TracerProvider(shutdown_on_exit=False)
        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter({receiver.url!r}, timeout=30),
                               schedule_delay_millis=60_000, exit_timeout_millis=500)
        )
        provider.get_tracer("exit").start_span("stuck").end()
        """
    )
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", script], timeout=30, capture_output=True)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 6


def test_a_span_that_cannot_be_encoded_is_counted_and_the_rest_sent(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentotel.export import _encoding

    real = _encoding.encode_span

    def encode_span(span: ReadableSpan) -> bytes:
        if span.name == "bad":
            raise ValueError("cannot encode")
        return real(span)

    monkeypatch.setattr(_encoding, "encode_span", encode_span)
    processor = BatchSpanProcessor(exporter_for(receiver.url), schedule_delay_millis=60_000)
    provider = pipeline(processor)
    tracer = provider.get_tracer("tests.export")
    for name in ("a", "bad", "c"):
        tracer.start_span(name).end()
    assert processor.force_flush(5000) is False  # not everything arrived
    assert sorted(s.name for s in receiver.spans()) == ["a", "c"]
    stats = processor.stats()
    assert (stats.exported, stats.failed) == (2, {semconv.DROP_EXPORT_FAILED: 1})
    processor.shutdown(1000)
