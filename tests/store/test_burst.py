"""The local store under bursts and contention: no silent loss while the store is merely slow."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExportResult

from agentotel import semconv
from agentotel._pipeline import default_tracer_provider
from agentotel.store import StoreFull, StoreSpanExporter, store_processor
from agentotel.store.model import Span


def _count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM spans").fetchone()[0])


def _burst(provider: TracerProvider, n: int) -> None:
    tracer = provider.get_tracer("burst")
    for i in range(n):
        with tracer.start_as_current_span(
            "chat m", attributes={semconv.GEN_AI_OPERATION_NAME: "chat", "i": i}
        ):
            pass


def _provider(processor: object) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({semconv.SERVICE_NAME: "t"}))
    provider.add_span_processor(processor)  # type: ignore[arg-type]
    return provider


def test_default_pipeline_keeps_a_burst(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.db"
    monkeypatch.setenv("AGENTOTEL_STORE", str(path))
    provider = default_tracer_provider(Resource.create({semconv.SERVICE_NAME: "t"}), False)
    (processor,) = provider._active_span_processor._span_processors
    _burst(provider, 5_000)
    dropped = processor.stats().dropped  # type: ignore[attr-defined]
    provider.shutdown()
    assert dropped == {}
    assert _count(path) == 5_000


class _SlowExporter(StoreSpanExporter):
    """The real store exporter, slowed down as a busy disk would."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        time.sleep(0.005)
        return super().export(spans)


def test_a_full_queue_waits_for_a_slow_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTOTEL_STORE_QUEUE_SIZE", "64")
    monkeypatch.setenv("AGENTOTEL_STORE_BATCH_SIZE", "16")
    processor = store_processor(_SlowExporter(tmp_path / "t.db"))
    provider = _provider(processor)
    _burst(provider, 2_000)
    stats = processor.stats()
    provider.shutdown()
    assert stats.dropped == {}
    assert _count(tmp_path / "t.db") == 2_000


class _StuckExporter(StoreSpanExporter):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.release = threading.Event()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.release.wait(30)
        return super().export(spans)


def test_a_stalled_store_costs_one_wait_not_one_per_span(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTOTEL_STORE_QUEUE_SIZE", "8")
    monkeypatch.setenv("AGENTOTEL_STORE_BATCH_SIZE", "4")
    monkeypatch.setenv("AGENTOTEL_STORE_BLOCK", "0.3s")
    exporter = _StuckExporter(tmp_path / "t.db")
    processor = store_processor(exporter)
    provider = _provider(processor)
    t0 = time.monotonic()
    _burst(provider, 100)
    elapsed = time.monotonic() - t0
    stats = processor.stats()
    exporter.release.set()
    provider.shutdown()
    assert stats.dropped.get(semconv.DROP_QUEUE_FULL, 0) > 50
    assert elapsed < 10 * 0.3  # ~85 spans found the queue full; only the first one waited


def _hold_lock(path: Path, seconds: float) -> threading.Thread:
    """Another writer holding the store's write lock for ``seconds``."""
    ready = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        ready.set()
        time.sleep(seconds)
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=hold)
    thread.start()
    ready.wait(5)
    return thread


def _spans(n: int, start: int = 0) -> list[ReadableSpan]:
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    provider = _provider(SimpleSpanProcessor(memory))
    _burst(provider, n)
    return list(memory.get_finished_spans())


def test_a_locked_store_is_retried_past_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    exporter = StoreSpanExporter(path, timeout_s=0.1)
    exporter.export(_spans(1))  # create the store
    holder = _hold_lock(path, 1.5)  # 15 busy timeouts
    assert exporter.export(_spans(100)) is SpanExportResult.SUCCESS
    holder.join()
    exporter.shutdown()
    assert _count(path) == 101


def test_the_lock_retry_is_bounded(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "t.db"
    exporter = StoreSpanExporter(path, timeout_s=0.05, lock_wait_s=0.3)
    exporter.export(_spans(1))
    holder = _hold_lock(path, 2.0)
    with caplog.at_level(logging.WARNING, logger="agentotel"):
        assert exporter.export(_spans(10)) is SpanExportResult.FAILURE
    holder.join()
    exporter.shutdown()
    assert any("locked" in r.getMessage() for r in caplog.records)


def test_a_full_disk_has_its_own_message(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "t.db"
    exporter = StoreSpanExporter(path, max_bytes=0, max_age_s=0)
    exporter.export(_spans(1))
    store = exporter._open()
    conn = store._ready()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # a disk with two pages left
    with caplog.at_level(logging.WARNING, logger="agentotel"):
        assert exporter.export(_spans(2_000)) is SpanExportResult.FAILURE
    with pytest.raises(StoreFull, match="disk is full"):
        store.write([Span("ab" * 16, f"{i:016x}", None, "x" * 5000) for i in range(200)])
    exporter.shutdown()
    messages = [r.getMessage() for r in caplog.records]
    assert any("disk is full" in m for m in messages)
    assert not any("not a readable agentotel store" in m for m in messages)
