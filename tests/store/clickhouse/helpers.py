"""Shared pieces of the ClickHouse backend tests: stores with the same spans on both sides."""

from __future__ import annotations

import contextlib
import io
import json
import time
from pathlib import Path
from typing import Any

from agentotel import semconv
from agentotel.cli.main import main
from agentotel.query import otlp
from agentotel.store.clickhouse_client import ChdbClient
from agentotel.store.clickhouse_target import parse
from agentotel.store.model import Event, Link, Span
from agentotel.store.sqlite import SQLiteStore
from tests.store.fixtures import MS, build_store

# The table as the exporter's older versions created it (before the ScopeName columns,
# with a signed Duration): schema from open-telemetry/opentelemetry-collector-contrib,
# exporter/clickhouseexporter/exporter_traces.go (Apache-2.0), for reading old tables.
LEGACY_DDL = """
CREATE TABLE IF NOT EXISTS {database}.{table} (
     Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
     TraceId String CODEC(ZSTD(1)),
     SpanId String CODEC(ZSTD(1)),
     ParentSpanId String CODEC(ZSTD(1)),
     TraceState String CODEC(ZSTD(1)),
     SpanName LowCardinality(String) CODEC(ZSTD(1)),
     SpanKind LowCardinality(String) CODEC(ZSTD(1)),
     ServiceName LowCardinality(String) CODEC(ZSTD(1)),
     ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
     SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
     Duration Int64 CODEC(ZSTD(1)),
     StatusCode LowCardinality(String) CODEC(ZSTD(1)),
     StatusMessage String CODEC(ZSTD(1)),
     Events Nested (
         Timestamp DateTime64(9),
         Name LowCardinality(String),
         Attributes Map(LowCardinality(String), String)
     ) CODEC(ZSTD(1)),
     Links Nested (
         TraceId String,
         SpanId String,
         TraceState String,
         Attributes Map(LowCardinality(String), String)
     ) CODEC(ZSTD(1)),
     INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
     INDEX idx_duration Duration TYPE minmax GRANULARITY 1
) ENGINE MergeTree()
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, SpanName, toUnixTimestamp(Timestamp), TraceId)
SETTINGS index_granularity=8192, ttl_only_drop_parts = 1
"""


def typed_trace(now_ns: int) -> list[Span]:
    """A trace whose attributes have every type the exporter stringifies."""
    tid = "feed" + "cd" * 14
    resource = {semconv.SERVICE_NAME: "typed", semconv.AGENTOTEL_RUN_ID: "run-b",
                semconv.AGENTOTEL_VCS_DIRTY: True}  # fmt: skip
    start = now_ns - 5 * 60 * 10**9
    root = Span(tid, "feed000000000001", None, "invoke_agent typed", "internal", start,
                start + 900 * MS, attributes={semconv.GEN_AI_OPERATION_NAME: "invoke_agent",
                                              semconv.GEN_AI_AGENT_NAME: "typed"},
                resource=resource, scope_name="agentotel", scope_version="1.2.3")  # fmt: skip
    chat = Span(
        tid, "feed000000000002", root.span_id, "chat claude", "client", start + 10 * MS,
        start + 700 * MS, status="error", status_message="overloaded",
        attributes={
            semconv.GEN_AI_OPERATION_NAME: semconv.OP_CHAT,
            semconv.GEN_AI_PROVIDER_NAME: "anthropic",
            semconv.GEN_AI_REQUEST_MODEL: "claude-sonnet-4",
            semconv.GEN_AI_REQUEST_TEMPERATURE: 0.7,
            semconv.GEN_AI_REQUEST_TOP_P: 1.0,
            semconv.GEN_AI_REQUEST_MAX_TOKENS: 512,
            semconv.GEN_AI_REQUEST_STREAM: True,
            semconv.GEN_AI_REQUEST_STOP_SEQUENCES: ["\n\n", "END"],
            semconv.GEN_AI_RESPONSE_FINISH_REASONS: ["stop"],
            semconv.GEN_AI_USAGE_INPUT_TOKENS: 1200,
            semconv.GEN_AI_USAGE_OUTPUT_TOKENS: 80,
            semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: 1000,
            semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: 100,
            semconv.ERROR_TYPE: "overloaded_error",
            "app.retries": 2,
            "app.ratio": 0.25,
            "app.flag": False,
            "app.tags": ["a", "b"],
        },
        events=[Event(semconv.EVENT_EXCEPTION, start + 650 * MS,
                      {semconv.EXCEPTION_TYPE: "APIStatusError",
                       semconv.EXCEPTION_MESSAGE: "overloaded"})],
        links=[Link("ab" * 16, "cd" * 8, {"link.kind": "retry-of"})],
        resource=resource, scope_name="agentotel.anthropic", scope_version="1.2.3",
    ).fill_facts()  # fmt: skip
    return [root.fill_facts(), chat]


def long_trace(now_ns: int) -> list[Span]:
    """A trace that began three hours ago and whose last span is a minute old."""
    tid = "10" * 16
    resource = {semconv.SERVICE_NAME: "svc", semconv.AGENTOTEL_RUN_ID: "run-a"}
    start = now_ns - 3 * 3600 * 10**9
    root = Span(tid, "1000000000000001", None, "invoke_workflow nightly", "internal", start,
                now_ns - 30 * 10**9, resource=resource)  # fmt: skip
    late = Span(tid, "1000000000000002", root.span_id, "late step", "internal",
                now_ns - 60 * 10**9, now_ns - 40 * 10**9, resource=resource)  # fmt: skip
    return [root.fill_facts(), late.fill_facts()]


def build_sqlite(path: Path) -> dict[str, Any]:
    now_ns = time.time_ns()
    info = build_store(path, now_ns)
    store = SQLiteStore(path, readonly=False, max_age_s=None, max_bytes=None)
    typed, long = typed_trace(now_ns), long_trace(now_ns)
    store.write(typed + long)
    extra = [typed[0].trace_id, long[0].trace_id]
    spans = [s for tid in [*info["ids"], *extra] for s in store.trace_spans(tid)]
    store.close()
    info["ids"] += extra
    info["spans"] = spans
    return info


def run(*args: str) -> tuple[int, str, str]:
    """``agentotel ARGS`` in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def write_otlp(spans: list[Span], path: Path) -> Path:
    path.write_text(json.dumps(otlp.encode(spans)), encoding="utf-8")
    return path


def write_legacy_rows(location: str, spans: list[Span]) -> None:
    """Rows as older exporters wrote them: SPAN_KIND_/STATUS_CODE_ words, scope in attributes."""
    from agentotel.store import clickhouse_rows

    target = parse(location)
    client = ChdbClient(target)
    try:
        client.query(f"CREATE DATABASE IF NOT EXISTS {target.database}")
        client.query(LEGACY_DDL.format(database=target.database, table=target.table))
        lines = []
        for s in spans:
            row = clickhouse_rows.to_row(s, scope_columns=False)
            row["SpanKind"] = "SPAN_KIND_" + s.kind.upper()
            row["StatusCode"] = "STATUS_CODE_" + s.status.upper()
            lines.append(json.dumps(row))
        client.insert(f"{target.database}.{target.table}", "\n".join(lines))
    finally:
        client.close()
