"""Lost spans are visible: one warning, public stats, self-observability beside a dead exporter."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from agentotel import _config, semconv
from agentotel._setup import Instrumentation
from agentotel.export import (
    BatchSpanProcessor,
    Outcome,
    PipelineStats,
    RecordBatch,
    StagedExporter,
    _drops,
)
from tests.conftest import metric_points
from tests.export.faults import FaultServer
from tests.export.receiver import closed_port_url
from tests.export.test_processor import BlockingExporter, end_spans, exporter_for, pipeline


@pytest.fixture
def blocking() -> Iterator[BlockingExporter]:
    exporter = BlockingExporter()
    yield exporter
    exporter.release.set()


@pytest.fixture(autouse=True)
def fresh_warning() -> Iterator[None]:
    _drops.reset()
    yield
    _drops.reset()


class ListExporter:
    """A non-OTLP exporter on the fast path: spans become names on arrival."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def new_batch(self) -> RecordBatch:
        return RecordBatch(lambda span: span.name, record_size=64)

    def accepts(self) -> bool:
        return True

    def drop(self, count: int, error_type: str) -> None:
        pass

    def send(self, body: Any, count: int, deadline: float, *, patient: bool = True) -> Outcome:
        self.sent.extend(body)
        return Outcome(count, 0)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        raise AssertionError("the staged path must not hand over span objects")

    def shutdown(self) -> None:
        pass


def test_any_exporter_implementing_the_protocol_gets_the_staged_path() -> None:
    exporter = ListExporter()
    assert isinstance(exporter, StagedExporter)
    processor = BatchSpanProcessor(exporter, schedule_delay_millis=60_000)  # type: ignore[arg-type]
    assert processor._staged
    provider = pipeline(processor)
    end_spans(provider, 70)
    assert processor.force_flush(5000)
    assert exporter.sent == [f"s{i}" for i in range(70)]
    assert processor.stats().exported == 70
    processor.shutdown(1000)


def test_a_plain_span_exporter_gets_span_batches(blocking: BlockingExporter) -> None:
    assert not isinstance(blocking, StagedExporter)
    processor = BatchSpanProcessor(blocking)
    assert not processor._staged
    processor.shutdown(100)


def test_the_first_drop_logs_one_warning_with_count_reason_and_setting(
    blocking: BlockingExporter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="agentotel")
    processor = BatchSpanProcessor(blocking, max_queue_size=4, schedule_delay_millis=60_000)
    provider = pipeline(processor)
    end_spans(provider, 30)
    deadline = time.monotonic() + 5
    while not _drops.warned() and time.monotonic() < deadline:
        time.sleep(0.01)
    other = BatchSpanProcessor(BlockingExporter(), max_queue_size=2)
    end_spans(pipeline(other), 10)  # more drops, another processor: no second warning
    time.sleep(0.2)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert semconv.DROP_QUEUE_FULL in warnings[0]
    assert "OTEL_BSP_MAX_QUEUE_SIZE (now 4)" in warnings[0]
    assert "span(s) not exported" in warnings[0]
    blocking.release.set()
    processor.shutdown(1000)
    other.shutdown(100)


def test_the_handle_exposes_stats(blocking: BlockingExporter) -> None:
    processor = BatchSpanProcessor(blocking, max_queue_size=8, schedule_delay_millis=60_000)
    provider = pipeline(processor)
    handle = Instrumentation(_config.Settings(), provider, None)
    end_spans(provider, 20)
    stats = handle.stats()
    assert isinstance(stats, PipelineStats)
    assert stats.created == 20
    assert stats.dropped.get(semconv.DROP_QUEUE_FULL, 0) > 0
    blocking.release.set()
    assert processor.force_flush(5000)
    stats = handle.stats()
    assert stats.created == 20 and stats.queue_size == 0
    assert stats.exported + stats.lost == 20
    assert list(stats.destinations) == ["BlockingExporter"]
    with pytest.raises(AttributeError):
        stats.created = 0  # type: ignore[misc]
    processor.shutdown(1000)


def test_self_observability_works_while_the_exporter_fails() -> None:
    reader = InMemoryMetricReader()
    meters = MeterProvider(metric_readers=[reader])
    processor = BatchSpanProcessor(
        exporter_for(closed_port_url()), schedule_delay_millis=60_000, meter_provider=meters
    )
    provider = pipeline(processor)
    end_spans(provider, 10)
    assert processor.force_flush(3000) is False
    points: dict[str, Any] = metric_points(reader)
    assert any(
        p.attributes.get(semconv.ERROR_TYPE) == "ConnectionRefusedError" and p.value == 10
        for p in points[semconv.OTEL_SDK_EXPORTER_SPAN_EXPORTED]
    ), points
    assert points[semconv.OTEL_SDK_PROCESSOR_SPAN_PROCESSED]
    processor.shutdown(500)
    meters.shutdown()


class BrokenMetricsExporter(BlockingExporter):
    def register_metrics(self, meter_provider: Any) -> None:
        raise RuntimeError("exporter metrics broken")


def test_processor_metrics_survive_an_exporter_that_cannot_register(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AGENTOTEL_STRICT", raising=False)
    reader = InMemoryMetricReader()
    meters = MeterProvider(metric_readers=[reader])
    exporter = BrokenMetricsExporter()
    exporter.release.set()
    processor = BatchSpanProcessor(exporter, meter_provider=meters)
    end_spans(pipeline(processor), 3)
    assert processor.force_flush(3000)
    assert metric_points(reader)[semconv.OTEL_SDK_PROCESSOR_SPAN_PROCESSED]
    processor.shutdown(500)
    meters.shutdown()


def test_force_flush_returns_within_its_timeout_on_a_hung_endpoint() -> None:
    server = FaultServer("hang")
    try:
        exporter = exporter_for(server.url + "/v1/traces", timeout=10.0)
        processor = BatchSpanProcessor(exporter, schedule_delay_millis=60_000)
        end_spans(pipeline(processor), 5)
        started = time.monotonic()
        assert processor.force_flush(400) is False
        assert time.monotonic() - started < 0.4 + 0.5
        started = time.monotonic()
        processor.shutdown(300)
        assert time.monotonic() - started < 0.3 + 0.5
    finally:
        server.close()


def test_shutdown_without_a_timeout_is_bounded_by_the_otlp_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "0.5")
    server = FaultServer("hang")
    try:
        processor = BatchSpanProcessor(exporter_for(server.url + "/v1/traces", timeout=None))
        end_spans(pipeline(processor), 5)
        started = time.monotonic()
        assert processor.shutdown() is False
        assert time.monotonic() - started < 0.5 + 0.7
    finally:
        server.close()


def test_shutdown_gives_up_at_once_when_the_endpoint_refuses() -> None:
    exporter = exporter_for(closed_port_url(), timeout=10.0, retry_initial_backoff=0.5)
    processor = BatchSpanProcessor(exporter, schedule_delay_millis=60_000)
    end_spans(pipeline(processor), 5)
    started = time.monotonic()
    assert processor.shutdown(10_000) is False
    assert time.monotonic() - started < 0.5
    assert processor.stats().failed == {"ConnectionRefusedError": 5}


class SlowExporter(SpanExporter):
    """Takes 20 ms per batch: a destination slower than the application, but not stuck."""

    def __init__(self) -> None:
        self.exported = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        time.sleep(0.02)
        self.exported += len(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass


@pytest.mark.parametrize("block", [None, 2000])
def test_block_on_full_waits_for_room_instead_of_dropping(block: float | None) -> None:
    exporter = SlowExporter()
    processor = BatchSpanProcessor(
        exporter, max_queue_size=8, max_export_batch_size=4, block_on_full_millis=block
    )
    end_spans(pipeline(processor), 200)
    assert processor.force_flush(10_000)
    dropped = processor.stats().dropped.get(semconv.DROP_QUEUE_FULL, 0)
    if block:
        assert dropped == 0 and exporter.exported == 200
    else:
        assert dropped > 0 and exporter.exported + dropped == 200
    processor.shutdown(1000)


def test_block_on_full_gives_up_after_its_timeout(blocking: BlockingExporter) -> None:
    processor = BatchSpanProcessor(
        blocking, max_queue_size=2, max_export_batch_size=1, block_on_full_millis=50
    )
    provider = pipeline(processor)
    started = time.monotonic()
    end_spans(provider, 8)
    assert time.monotonic() - started < 8 * 0.05 + 1.0
    assert processor.stats().dropped.get(semconv.DROP_QUEUE_FULL, 0) > 0
    blocking.release.set()
    processor.shutdown(1000)
