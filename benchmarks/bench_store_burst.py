"""How fast the local store records spans, and whether a burst of spans loses any.

    python benchmarks/bench_store_burst.py                  # 100,000-span burst, default settings
    python benchmarks/bench_store_burst.py --spans 20000 --rate-only

First it measures the store's write speed: ended SDK spans handed to
``StoreSpanExporter.export`` in batches of several sizes (conversion, sanitizing
and the SQLite WAL transaction included), in spans per second. Then it creates
``--spans`` agent-like spans in a tight loop on the default pipeline (the one
``agentotel.instrument()`` installs with no OTLP endpoint: the store processor
and exporter at their default settings), shuts the provider down and reports
spans created, stored, dropped (by reason) and the app thread's time.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
from pathlib import Path

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentotel import semconv
from agentotel.store import StoreSpanExporter


def _agent_spans(tracer, n: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        with tracer.start_as_current_span(
            "chat gpt-4o-mini",
            attributes={
                semconv.GEN_AI_OPERATION_NAME: semconv.OP_CHAT,
                semconv.GEN_AI_PROVIDER_NAME: "openai",
                semconv.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
                semconv.GEN_AI_USAGE_INPUT_TOKENS: 100 + i % 50,
                semconv.GEN_AI_USAGE_OUTPUT_TOKENS: 10,
            },
        ):
            pass


def _ended(n: int) -> list[ReadableSpan]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({semconv.SERVICE_NAME: "bench"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    _agent_spans(provider.get_tracer("bench"), n)
    return list(memory.get_finished_spans())


def write_rate(folder: Path, n: int, batch: int) -> tuple[float, float]:
    """Spans per wall second and per CPU second through ``StoreSpanExporter.export``.

    The CPU figure is the one to compare across runs on a shared machine.
    """
    spans = _ended(n)
    exporter = StoreSpanExporter(folder / f"rate-{batch}.db", max_age_s=0, max_bytes=0)
    exporter.export(spans[:batch])  # open, create the schema
    t0, c0 = time.perf_counter(), time.process_time()
    for start in range(batch, n, batch):
        exporter.export(spans[start : start + batch])
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    exporter.shutdown()
    return (n - batch) / elapsed, (n - batch) / cpu


def burst(folder: Path, n: int) -> dict[str, object]:
    """``n`` spans in a tight loop on the default pipeline; what reached the store."""
    from agentotel._pipeline import default_tracer_provider

    path = folder / "burst.db"
    os.environ["AGENTOTEL_STORE"] = str(path)
    os.environ.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    provider = default_tracer_provider(Resource.create({semconv.SERVICE_NAME: "bench"}), False)
    processors = provider._active_span_processor._span_processors
    t0 = time.perf_counter()
    _agent_spans(provider.get_tracer("bench"), n)
    app_s = time.perf_counter() - t0
    stats = [p.stats() for p in processors if hasattr(p, "stats")]
    provider.shutdown()
    total_s = time.perf_counter() - t0
    with sqlite3.connect(path) as conn:
        stored = conn.execute("SELECT count(*) FROM spans").fetchone()[0]
    dropped: dict[str, int] = {}
    for s in stats:
        for reason, count in {**s.dropped, **s.failed}.items():
            dropped[reason] = dropped.get(reason, 0) + count
    return {"created": n, "stored": stored, "lost": n - stored, "dropped_at_end": dropped,
            "app_s": round(app_s, 2), "until_stored_s": round(total_s, 2)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--rate-spans", type=int, default=40_000)
    parser.add_argument("--rate-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for batch in (512, 2048, 8192):
            wall, cpu = write_rate(folder, args.rate_spans, batch)
            print(
                f"store write speed, batches of {batch:5d}: {wall:9,.0f} spans/s "
                f"({cpu:,.0f} per CPU second)"
            )
        if not args.rate_only:
            print("burst:", burst(folder, args.spans))


if __name__ == "__main__":
    main()
