"""Backend-neutral records: what the store keeps and what queries return.

A :class:`Span` carries the denormalised facts queries filter on plus the full
attributes, events, links and resource. Every backend reads and writes these,
so the query layer, the CLI and the MCP server never see SQL rows.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from agentotel import semconv

LLM_OPERATIONS: tuple[str, ...] = (
    semconv.OP_CHAT,
    semconv.OP_GENERATE_CONTENT,
    semconv.OP_TEXT_COMPLETION,
    semconv.OP_EMBEDDINGS,
)
"""Operations that are model calls: their tokens are counted, their count is "LLM calls"."""

KINDS = ("internal", "server", "client", "producer", "consumer")
STATUSES = ("unset", "ok", "error")


def iso(ns: int | None) -> str | None:
    """Nanoseconds since the epoch as ISO-8601 UTC with microseconds and a ``Z``."""
    if ns is None:
        return None
    stamp = _dt.datetime.fromtimestamp(ns // 1000 / 1e6, tz=_dt.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _count(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def ms(ns: int | None) -> float | None:
    """Nanoseconds as milliseconds rounded to the microsecond."""
    return None if ns is None else round(ns / 1e6, 3)


@dataclass
class Event:
    """A span event."""

    name: str
    time_ns: int
    attributes: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "time": iso(self.time_ns), "attributes": self.attributes}


@dataclass
class Link:
    """A link to another span."""

    trace_id: str
    span_id: str
    attributes: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"trace_id": self.trace_id, "span_id": self.span_id, "attributes": self.attributes}


@dataclass
class Span:
    """One stored span. Ids are lowercase hex; times are nanoseconds since the epoch."""

    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    kind: str = "internal"
    start_ns: int = 0
    end_ns: int = 0
    status: str = "unset"
    status_message: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    resource: dict[str, Any] = field(default_factory=dict)
    scope_name: str | None = None
    scope_version: str | None = None
    parent_is_remote: bool = False
    cost_usd: float | None = None
    cost_source: str | None = None
    depth: int = 0

    error_type: str | None = None
    operation: str | None = None
    provider: str | None = None
    request_model: str | None = None
    response_model: str | None = None
    agent_name: str | None = None
    tool_name: str | None = None
    tool_call_id: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_creation_tokens: int | None = None
    service_name: str | None = None
    run_id: str | None = None
    vcs_revision: str | None = None

    @property
    def duration_ns(self) -> int:
        return max(0, self.end_ns - self.start_ns)

    @property
    def model(self) -> str | None:
        """The model to group and price by: the requested one, else the one that answered."""
        return self.request_model or self.response_model

    def fill_facts(self) -> Span:
        """Set the denormalised fields from ``attributes`` and ``resource``; returns self."""
        a, r = self.attributes, self.resource
        self.error_type = _text(a.get(semconv.ERROR_TYPE))
        self.operation = _text(a.get(semconv.GEN_AI_OPERATION_NAME))
        self.provider = _text(a.get(semconv.GEN_AI_PROVIDER_NAME))
        self.request_model = _text(a.get(semconv.GEN_AI_REQUEST_MODEL))
        self.response_model = _text(a.get(semconv.GEN_AI_RESPONSE_MODEL))
        self.agent_name = _text(a.get(semconv.GEN_AI_AGENT_NAME))
        self.tool_name = _text(a.get(semconv.GEN_AI_TOOL_NAME))
        self.tool_call_id = _text(a.get(semconv.GEN_AI_TOOL_CALL_ID))
        self.input_tokens = _count(a.get(semconv.GEN_AI_USAGE_INPUT_TOKENS))
        self.output_tokens = _count(a.get(semconv.GEN_AI_USAGE_OUTPUT_TOKENS))
        self.cache_read_tokens = _count(a.get(semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS))
        creation = a.get(semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS)
        if creation is None:
            creation = a.get(semconv.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS)
        self.cache_creation_tokens = _count(creation)
        self.service_name = _text(r.get(semconv.SERVICE_NAME))
        self.run_id = _text(r.get(semconv.AGENTOTEL_RUN_ID))
        self.vcs_revision = _text(r.get(semconv.VCS_REF_HEAD_REVISION))
        return self

    def to_dict(self, full: bool = True) -> dict[str, Any]:
        """The documented JSON shape of a span (``full`` adds attributes, events and links)."""
        out: dict[str, Any] = {
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "parent_id": self.parent_id,
            "name": self.name,
            "kind": self.kind,
            "start": iso(self.start_ns),
            "end": iso(self.end_ns),
            "duration_ms": ms(self.duration_ns),
            "status": self.status,
            "status_message": self.status_message,
            "error_type": self.error_type,
            "operation": self.operation,
            "provider": self.provider,
            "request_model": self.request_model,
            "response_model": self.response_model,
            "agent_name": self.agent_name,
            "tool_name": self.tool_name,
            "tool_call_id": self.tool_call_id,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_creation_tokens": self.cache_creation_tokens,
            "cost_usd": self.cost_usd,
            "cost_source": self.cost_source,
            "service_name": self.service_name,
            "run_id": self.run_id,
            "vcs_revision": self.vcs_revision,
            "depth": self.depth,
        }
        if full:
            out["attributes"] = self.attributes
            out["events"] = [e.to_dict() for e in self.events]
            out["links"] = [link.to_dict() for link in self.links]
            out["scope"] = {"name": self.scope_name, "version": self.scope_version}
        return out


@dataclass
class TraceSummary:
    """One row of ``agentotel traces``: a trace's root, timing, counts and totals."""

    trace_id: str
    root_name: str | None
    root_span_id: str | None
    start_ns: int
    end_ns: int
    span_count: int
    llm_calls: int
    tool_calls: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_creation_tokens: int
    error_count: int
    service_name: str | None
    run_id: str | None
    vcs_revision: str | None
    cost_usd: float | None = None
    status: str = "ok"
    """The root span's outcome: ``"error"`` when the run itself failed, else ``"ok"``."""
    error_type: str | None = None
    """The root span's ``error.type`` when it failed."""
    cost_source: str | None = None
    """Where the prices of ``cost_usd`` came from: user, genai-prices, bundled (``+``-joined)."""

    @property
    def duration_ns(self) -> int:
        return max(0, self.end_ns - self.start_ns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "trace_id": self.trace_id,
            "status": self.status,
            "error_type": self.error_type,
            "root_name": self.root_name,
            "root_span_id": self.root_span_id,
            "start": iso(self.start_ns),
            "end": iso(self.end_ns),
            "duration_ms": ms(self.duration_ns),
            "span_count": self.span_count,
            "llm_calls": self.llm_calls,
            "tool_calls": self.tool_calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_creation_tokens": self.cache_creation_tokens,
            "cost_usd": self.cost_usd,
            "cost_source": self.cost_source,
            "error_count": self.error_count,
            "service_name": self.service_name,
            "run_id": self.run_id,
            "vcs_revision": self.vcs_revision,
        }


@dataclass
class ModelUsage:
    """Token totals for one model within a group (a trace or a stats row), for pricing."""

    model: str | None
    calls: int
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_creation_tokens: int


@dataclass
class KindStats:
    """One span kind (operation) within a stats group: latency is only compared within a kind."""

    count: int
    error_count: int
    p50_ns: int | None
    p95_ns: int | None
    p99_ns: int | None
    total_ns: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "error_count": self.error_count,
            "p50_ms": ms(self.p50_ns),
            "p95_ms": ms(self.p95_ns),
            "p99_ms": ms(self.p99_ns),
            "total_ms": ms(self.total_ns),
        }


@dataclass
class GroupStats:
    """One row of ``agentotel stats``: a group's count, errors, latency percentiles and tokens."""

    key: str | None
    count: int
    error_count: int
    p50_ns: int | None
    p95_ns: int | None
    p99_ns: int | None
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_creation_tokens: int
    exact: bool = True
    usage: list[ModelUsage] = field(default_factory=list)
    cost_usd: float | None = None
    cost_source: str | None = None
    trace_count: int = 0
    """Distinct traces with a span in the group."""
    total_ns: int = 0
    """Time spent: the traces' wall time when grouping whole traces (run, service), else the
    sum of the group's span durations."""
    per_trace: bool = False
    """Percentiles are of trace durations (groups of whole traces: run, service)."""
    kinds: dict[str, KindStats] = field(default_factory=dict)
    """Per span kind (operation): count, errors, percentiles, total time."""

    @property
    def error_rate(self) -> float:
        return round(self.error_count / self.count, 4) if self.count else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "count": self.count,
            "error_count": self.error_count,
            "error_rate": self.error_rate,
            "p50_ms": ms(self.p50_ns),
            "p95_ms": ms(self.p95_ns),
            "p99_ms": ms(self.p99_ns),
            "percentiles_exact": self.exact,
            "percentiles_of": "traces" if self.per_trace else "spans",
            "trace_count": self.trace_count,
            "total_ms": ms(self.total_ns),
            "by_operation": {k: v.to_dict() for k, v in self.kinds.items()},
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_creation_tokens": self.cache_creation_tokens,
            "cost_usd": self.cost_usd,
            "cost_source": self.cost_source,
        }


@dataclass
class TraceFilter:
    """Which traces to list. Times are nanoseconds since the epoch."""

    since_ns: int | None = None
    until_ns: int | None = None
    run_id: str | None = None
    service: str | None = None
    status: str | None = None  # "error": with an error span; "ok": without one
    failed: bool = False  # only traces whose root span is in error
    limit: int = 20


WHERE_OPS = ("=", "!=", "~", ">", "<", ">=", "<=")
"""``--where`` operators: equal, not equal (also true when the attribute is absent),
substring, and the numeric (or text) orderings."""

WHERE_COLUMNS = (
    "name", "kind", "status", "trace_id", "span_id", "parent_id", "duration_ns", "service",
    "run", "operation", "provider", "model", "request_model", "response_model", "agent",
    "tool", "tool_call_id", "error_type", "commit",
)  # fmt: skip
"""``--where`` keys that name a span's own fields rather than one of its attributes."""


@dataclass
class AttributeKey:
    """An attribute key seen on stored spans: how many spans carry it and a few values."""

    key: str
    count: int
    examples: list[Any] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "count": self.count, "examples": self.examples}


@dataclass
class AttrCondition:
    """``attribute OP value`` from ``--where``; the value is compared as a number when it is one."""

    key: str
    op: str
    value: str


@dataclass
class SpanFilter:
    """Which spans to find or aggregate."""

    operation: str | None = None
    model: str | None = None
    tool: str | None = None
    agent: str | None = None
    name: str | None = None
    status: str | None = None  # "error", or "ok" for every span not in error
    min_duration_ns: int | None = None
    trace_id: str | None = None
    since_ns: int | None = None
    until_ns: int | None = None
    run_id: str | None = None
    service: str | None = None
    where: list[AttrCondition] = field(default_factory=list)
    sort: str = "start"  # "start": newest first; "duration": longest first
    limit: int = 50


@dataclass
class SpanEvents:
    """Events to add to one stored span.

    A stored event with the same name as a new one and the same values of every
    attribute in ``replace_keys`` is replaced by it, so recording a result again
    (an evaluator re-run) does not pile up copies.
    """

    trace_id: str
    span_id: str
    events: list[Event]
    replace_keys: tuple[str, ...] = ()
