"""The SQLite store: writing through the exporter, schema, permissions, retention, bad files."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExportResult,
)
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from agentotel import semconv
from agentotel.store import (
    SQLiteStore,
    StoreCorrupt,
    StoreLocked,
    StoreMissing,
    StoreSchemaTooNew,
    StoreSpanExporter,
)
from agentotel.store import sqlite as sqlite_mod
from agentotel.store.model import SpanFilter, TraceFilter
from agentotel.store.schema import SCHEMA_VERSION, VERSION_TABLE
from tests.store.fixtures import agent_trace, build_store

HOUR = 3600 * 10**9


def _provider(exporter: StoreSpanExporter, simple: bool = True) -> TracerProvider:
    provider = TracerProvider(
        resource=Resource.create({semconv.SERVICE_NAME: "t", semconv.AGENTOTEL_RUN_ID: "r1"})
    )
    processor = SimpleSpanProcessor(exporter) if simple else BatchSpanProcessor(exporter)
    provider.add_span_processor(processor)
    return provider


def test_exporter_records_spans_with_denormalised_facts(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "traces.db"
    provider = _provider(StoreSpanExporter(path), simple=False)
    tracer = provider.get_tracer("scope", "1.2")
    with tracer.start_as_current_span(
        "invoke_agent a",
        attributes={semconv.GEN_AI_OPERATION_NAME: "invoke_agent", semconv.GEN_AI_AGENT_NAME: "a"},
    ) as root:
        with tracer.start_as_current_span(
            "chat gpt-4o",
            kind=SpanKind.CLIENT,
            attributes={
                semconv.GEN_AI_OPERATION_NAME: "chat",
                semconv.GEN_AI_PROVIDER_NAME: "openai",
                semconv.GEN_AI_REQUEST_MODEL: "gpt-4o",
                semconv.GEN_AI_USAGE_INPUT_TOKENS: 10,
                semconv.GEN_AI_USAGE_OUTPUT_TOKENS: 4,
                semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: 2,
                semconv.GEN_AI_RESPONSE_FINISH_REASONS: ("stop",),
            },
        ) as chat:
            chat.add_event("note", {"k": 1})
        with tracer.start_as_current_span(
            "execute_tool t",
            links=[Link(chat.get_span_context(), {"why": "caused by"})],
            attributes={semconv.GEN_AI_TOOL_NAME: "t", semconv.ERROR_TYPE: "KeyError"},
        ) as tool:
            tool.set_status(Status(StatusCode.ERROR, "boom"))
    provider.shutdown()

    store = SQLiteStore(path)
    trace_id = format(root.get_span_context().trace_id, "032x")
    spans = {s.name: s for s in store.trace_spans(trace_id)}
    assert set(spans) == {"invoke_agent a", "chat gpt-4o", "execute_tool t"}
    c = spans["chat gpt-4o"]
    assert (c.operation, c.provider, c.request_model, c.kind) == (
        "chat",
        "openai",
        "gpt-4o",
        "client",
    )
    assert (c.input_tokens, c.output_tokens, c.cache_read_tokens) == (10, 4, 2)
    assert c.attributes[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ["stop"]
    assert c.events[0].name == "note" and c.events[0].attributes == {"k": 1}
    assert c.resource[semconv.AGENTOTEL_RUN_ID] == "r1" and c.run_id == "r1"
    assert c.scope_name == "scope" and c.scope_version == "1.2"
    t = spans["execute_tool t"]
    assert (t.status, t.status_message, t.error_type) == ("error", "boom", "KeyError")
    assert t.links[0].span_id == c.span_id and t.links[0].attributes == {"why": "caused by"}
    summary = store.trace_summary(trace_id)
    assert summary is not None
    assert summary.root_name == "invoke_agent a"
    assert (summary.span_count, summary.llm_calls, summary.error_count) == (3, 1, 1)
    assert (summary.input_tokens, summary.output_tokens, summary.service_name) == (10, 4, "t")
    store.close()


def test_store_file_and_directory_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "private" / "traces.db"
    exporter = StoreSpanExporter(path)
    provider = _provider(exporter)
    provider.get_tracer("t").start_span("x").end()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for extra in path.parent.glob("traces.db-*"):
        assert stat.S_IMODE(extra.stat().st_mode) & 0o077 == 0
    provider.shutdown()


def test_constructing_the_exporter_touches_no_disk(tmp_path: Path) -> None:
    StoreSpanExporter(tmp_path / "never" / "traces.db").shutdown()
    assert not (tmp_path / "never").exists()


def test_repeated_batches_are_stored_once(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "t.db", readonly=False)
    spans = agent_trace(1, time.time_ns())
    assert store.write(spans) == len(spans)
    assert store.write(spans) == 0
    assert store.write(spans + spans) == 0
    (summary,) = store.list_traces(TraceFilter())
    assert summary.span_count == len(spans)
    assert summary.llm_calls == 2 and summary.tool_calls == 1
    store.close()


def test_trace_split_across_batches_keeps_true_root(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "t.db", readonly=False)
    spans = agent_trace(1, time.time_ns())
    root, children = spans[0], spans[1:]
    store.write(children[:1])
    assert store.list_traces(TraceFilter())[0].root_name == "chat gpt-4o-mini"
    store.write([root])
    store.write(children[1:])
    (summary,) = store.list_traces(TraceFilter())
    assert summary.root_name == "invoke_agent weather"
    assert summary.root_span_id == root.span_id
    assert summary.start_ns == root.start_ns and summary.end_ns == root.end_ns
    assert summary.span_count == len(spans)
    store.close()


def test_export_failure_costs_the_batch_not_the_caller(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    exporter = StoreSpanExporter(blocker / "traces.db")
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("t").start_as_current_span("work"):
        pass  # the export fails inside; the application's code is unaffected
    assert exporter.export([]) is SpanExportResult.FAILURE
    provider.shutdown()
    assert exporter.export([]) is SpanExportResult.FAILURE


def test_several_processes_write_one_store(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    script = textwrap.dedent(
        """
        import sys
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from agentotel.store import StoreSpanExporter

        worker = sys.argv[2]
        provider = TracerProvider(resource=Resource.create({"agentotel.run.id": worker}))
        provider.add_span_processor(
            BatchSpanProcessor(StoreSpanExporter(sys.argv[1]), max_export_batch_size=7,
                               schedule_delay_millis=5)
        )
        tracer = provider.get_tracer("w")
        for i in range(40):
            with tracer.start_as_current_span(f"root {worker} {i}"):
                for j in range(4):
                    tracer.start_span(f"child {j}").end()
        provider.shutdown()
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(path), f"w{k}"]) for k in range(4)]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0, 0]
    store = SQLiteStore(path)
    traces = store.list_traces(TraceFilter(limit=1000))
    assert len(traces) == 160
    assert all(t.span_count == 5 and t.root_name.startswith("root") for t in traces)
    assert store.sql("SELECT count(*) FROM spans", 1)[1] == [(800,)]
    assert {t.run_id for t in traces} == {"w0", "w1", "w2", "w3"}
    store.close()


def test_retention_by_age_drops_old_traces_and_keeps_stats_consistent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = time.time_ns()
    store = SQLiteStore(tmp_path / "t.db", readonly=False, max_age_s=3600, retention_every=1)
    store.write(agent_trace(1, now - 5 * HOUR))
    store.write(agent_trace(2, now - 3 * HOUR))
    store.write(agent_trace(3, now - 60 * 10**9))  # this write applies retention
    assert [t.trace_id[:4] for t in store.list_traces(TraceFilter())] == ["0003"]
    monkeypatch.setattr(sqlite_mod, "EXACT_PERCENTILE_LIMIT", 0)  # force the rollup path
    rolled = {g.key: g.count for g in store.stats("operation", SpanFilter())}
    monkeypatch.setattr(sqlite_mod, "EXACT_PERCENTILE_LIMIT", 10**9)
    raw = {g.key: g.count for g in store.stats("operation", SpanFilter())}
    assert rolled == raw == {"chat": 2, "execute_tool": 1, "invoke_agent": 1}
    store.close()


def test_retention_by_size_keeps_the_store_under_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    now = time.time_ns()
    store = SQLiteStore(path, readonly=False, max_bytes=600_000, retention_every=10**6)
    for n in range(300):
        store.write(agent_trace(n, now - (300 - n) * 10**9))
    assert store.used_bytes() > 600_000
    store.apply_retention()
    assert store.used_bytes() <= 600_000
    remaining = store.list_traces(TraceFilter(limit=1000))
    assert 0 < len(remaining) < 300
    # The oldest traces went first.
    assert min(t.trace_id for t in remaining) > format(0, "04x")
    assert max(int(t.trace_id[:4], 16) for t in remaining) == 299
    store.close()


def test_schema_version_is_recorded(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    SQLiteStore(path, readonly=False).close()
    conn = sqlite3.connect(path)
    assert conn.execute(f"SELECT version FROM {VERSION_TABLE}").fetchall() == [(SCHEMA_VERSION,)]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_newer_schema_is_refused_by_readers_and_writers(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    SQLiteStore(path, readonly=False).close()
    conn = sqlite3.connect(path)
    conn.execute(f"UPDATE {VERSION_TABLE} SET version = ?", (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(StoreSchemaTooNew, match="upgrade agentotel"):
        SQLiteStore(path)
    with pytest.raises(StoreSchemaTooNew):
        SQLiteStore(path, readonly=False)
    exporter = StoreSpanExporter(path)
    provider = _provider(exporter)
    provider.get_tracer("t").start_span("x").end()  # refused quietly, not raised
    provider.shutdown()


def test_missing_corrupt_and_foreign_files(tmp_path: Path) -> None:
    with pytest.raises(StoreMissing, match="no trace store"):
        SQLiteStore(tmp_path / "absent.db")
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(StoreMissing, match="empty"):
        SQLiteStore(empty)
    junk = tmp_path / "junk.db"
    junk.write_bytes(os.urandom(8192))
    with pytest.raises(StoreCorrupt):
        SQLiteStore(junk)
    with pytest.raises(StoreCorrupt):
        SQLiteStore(junk, readonly=False)
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE other (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreCorrupt, match="not an agentotel store"):
        SQLiteStore(foreign)


def test_truncated_store_is_reported_as_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    build_store(path)
    data = path.read_bytes()
    path.write_bytes(data[:4096] + os.urandom(len(data) - 4096))
    with pytest.raises(StoreCorrupt):
        store = SQLiteStore(path)
        store.list_traces(TraceFilter())
        store.trace_spans("0001" + "ab" * 14)


def test_locked_store_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    build_store(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("DELETE FROM meta")
    try:
        with pytest.raises(StoreLocked, match="locked"):
            SQLiteStore(path, timeout_s=0.05)
        with pytest.raises(StoreLocked):
            SQLiteStore(path, readonly=False, timeout_s=0.05).write(agent_trace(9, time.time_ns()))
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_reopens_after_the_file_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    store = SQLiteStore(path, readonly=False)
    store.write(agent_trace(1, time.time_ns()))
    for f in tmp_path.glob("t.db*"):
        f.unlink()
    store.write(agent_trace(2, time.time_ns()))
    store.close()
    assert [t.trace_id[:4] for t in SQLiteStore(path).list_traces(TraceFilter())] == ["0002"]


def test_sql_is_read_only(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    build_store(path)
    store = SQLiteStore(path)
    assert store.sql("SELECT count(*) FROM traces", 10) == (["count(*)"], [(5,)])
    for statement in (
        "DELETE FROM spans",
        "DROP TABLE spans",
        "PRAGMA journal_mode = DELETE",
        f"ATTACH DATABASE '{tmp_path / 'x.db'}' AS x",
        "CREATE TABLE t (x)",
    ):
        with pytest.raises(sqlite3.Error):
            store.sql(statement, 10)
    assert not (tmp_path / "x.db").exists()
    with pytest.raises(sqlite3.Error):
        store.sql("SELECT 1; DELETE FROM spans", 10)
    store.close()
    writer = SQLiteStore(path, readonly=False)
    with pytest.raises(Exception, match="read-only"):
        writer.sql("SELECT 1", 1)
    writer.close()
