"""The SQLite schema, versioned; each migration moves a store up one version.

Queries filter on denormalised columns of ``spans`` (narrow rows, indexed);
the full attributes, events and links live in ``span_data`` so scans never
read them. ``traces`` keeps one summary row per trace and ``rollup`` hourly
histograms per dimension, both updated on every write, so listing traces and
long-range stats do not aggregate millions of spans.
"""

from __future__ import annotations

SCHEMA_VERSION = 1

VERSION_TABLE = "agentotel_schema"

_V1 = (
    f"CREATE TABLE {VERSION_TABLE} (version INTEGER NOT NULL)",
    """CREATE TABLE resources (
        id INTEGER PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        attributes TEXT NOT NULL
    )""",
    """CREATE TABLE spans (
        id INTEGER PRIMARY KEY,
        trace_id TEXT NOT NULL,
        span_id TEXT NOT NULL,
        parent_id TEXT,
        parent_is_remote INTEGER NOT NULL DEFAULT 0,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        start_ns INTEGER NOT NULL,
        end_ns INTEGER NOT NULL,
        duration_ns INTEGER NOT NULL,
        duration_bucket INTEGER NOT NULL,
        status TEXT NOT NULL,
        status_message TEXT,
        error_type TEXT,
        operation TEXT,
        provider TEXT,
        request_model TEXT,
        response_model TEXT,
        agent_name TEXT,
        tool_name TEXT,
        tool_call_id TEXT,
        input_tokens INTEGER,
        output_tokens INTEGER,
        cache_read_tokens INTEGER,
        cache_creation_tokens INTEGER,
        service_name TEXT,
        run_id TEXT,
        vcs_revision TEXT,
        scope_name TEXT,
        resource_id INTEGER
    )""",
    "CREATE UNIQUE INDEX spans_trace_span ON spans (trace_id, span_id)",
    "CREATE INDEX spans_start ON spans (start_ns)",
    "CREATE INDEX spans_operation ON spans (operation, start_ns)",
    # Partial indexes: most spans have no model, tool or agent, and cost nothing here.
    "CREATE INDEX spans_model ON spans (request_model, start_ns) WHERE request_model IS NOT NULL",
    "CREATE INDEX spans_tool ON spans (tool_name, start_ns) WHERE tool_name IS NOT NULL",
    "CREATE INDEX spans_agent ON spans (agent_name, start_ns) WHERE agent_name IS NOT NULL",
    "CREATE INDEX spans_errors ON spans (start_ns) WHERE status = 'error'",
    "CREATE INDEX spans_run ON spans (run_id, start_ns)",
    """CREATE TABLE span_data (
        span_id INTEGER PRIMARY KEY,
        attributes TEXT NOT NULL,
        events TEXT,
        links TEXT,
        scope_version TEXT
    )""",
    """CREATE TABLE traces (
        trace_id TEXT PRIMARY KEY,
        start_ns INTEGER NOT NULL,
        end_ns INTEGER NOT NULL,
        root_rank INTEGER NOT NULL,
        root_start_ns INTEGER NOT NULL,
        root_name TEXT,
        root_span_id TEXT,
        span_count INTEGER NOT NULL,
        llm_calls INTEGER NOT NULL,
        tool_calls INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL,
        cache_creation_tokens INTEGER NOT NULL,
        error_count INTEGER NOT NULL,
        service_name TEXT,
        run_id TEXT,
        vcs_revision TEXT
    ) WITHOUT ROWID""",
    # Hourly per-run, per-dimension histograms (dim = operation, model, tool, ...; key = its
    # value, "" for none; model = the priced model of spans with tokens): stats over long
    # ranges of a big store read these instead of every span. Written with the spans.
    """CREATE TABLE rollup (
        dim TEXT NOT NULL,
        run_id TEXT NOT NULL,
        hour INTEGER NOT NULL,
        key TEXT NOT NULL,
        model TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        count INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL,
        cache_creation_tokens INTEGER NOT NULL,
        min_ns INTEGER NOT NULL,
        max_ns INTEGER NOT NULL,
        PRIMARY KEY (dim, run_id, hour, key, model, bucket)
    ) WITHOUT ROWID""",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID",
    "CREATE INDEX traces_start ON traces (start_ns)",
    "CREATE INDEX traces_end ON traces (end_ns)",
    "CREATE INDEX traces_run ON traces (run_id, start_ns)",
    "CREATE INDEX traces_service ON traces (service_name, start_ns)",
)

MIGRATIONS: dict[int, tuple[str, ...]] = {1: _V1}
"""Statements that take a store from version ``n - 1`` to ``n``."""


def readable_tables() -> dict[str, list[str]]:
    """Tables a read-only ``sql`` statement is meant for, with their columns (from the DDL)."""
    out: dict[str, list[str]] = {}
    for statement in _V1:
        head, _, body = statement.partition("(")
        words = head.split()
        if words[:2] != ["CREATE", "TABLE"] or words[2] in (VERSION_TABLE, "meta", "rollup"):
            continue
        columns = [line.split()[0] for line in body.splitlines() if line.strip()[:1].isalpha()]
        out[words[2]] = [c for c in columns if c.upper() not in ("PRIMARY", "UNIQUE")]
    out.update(COST_VIEWS)
    return out


COST_VIEWS = {
    "span_costs": [
        "trace_id", "span_id", "run_id", "operation", "name", "model", "input_tokens",
        "output_tokens", "cache_read_tokens", "cache_creation_tokens", "start_ns", "cost_usd",
    ],
    "trace_costs": ["trace_id", "run_id", "llm_calls", "priced_calls", "cost_usd"],
}  # fmt: skip
"""Views the query layer adds to a read-only ``sql`` connection (priced in Python)."""
