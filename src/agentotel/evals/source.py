"""Loading the traces to evaluate: from the local store or from an OTLP JSON file."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from agentotel import semconv
from agentotel.evals.config import Selection
from agentotel.evals.model import TraceData
from agentotel.query import Query, parse_time
from agentotel.store.model import Span, TraceFilter, TraceSummary

SCAN_LIMIT = 200_000
"""Most trace summaries read when filtering by commit or root name, which the store cannot."""


class NoTraces(LookupError):
    """The selection matched no trace."""


def group(spans: Iterable[Span]) -> list[TraceData]:
    """Spans grouped into traces, newest trace first."""
    by_trace: dict[str, list[Span]] = {}
    for s in spans:
        by_trace.setdefault(s.trace_id, []).append(s)
    traces = [TraceData.from_spans(v) for v in by_trace.values()]
    traces.sort(key=lambda t: -t.start_ns)
    return traces


def _matches(sel: Selection, t: TraceData) -> bool:
    since = parse_time(sel.since)
    until = parse_time(sel.until)
    if sel.traces and not any(t.trace_id.startswith(x.lower()) for x in sel.traces):
        return False
    if since is not None and t.start_ns < since:
        return False
    if until is not None and t.start_ns >= until:
        return False
    if sel.run is not None and t.run_id != sel.run:
        return False
    if sel.service is not None and t.service_name != sel.service:
        return False
    if sel.root_name is not None and t.root.name != sel.root_name:
        return False
    return not (
        sel.commit is not None and not (t.vcs_revision or "").startswith(sel.commit.lower())
    )


def from_file(path: str | os.PathLike[str], sel: Selection) -> tuple[list[TraceData], bool]:
    """Traces from an OTLP JSON file (one request, or one per line), filtered by ``sel``."""
    from agentotel.query import otlp

    text = Path(path).read_text(encoding="utf-8")
    spans = otlp.loads(text)
    if sel.run is not None and sel.run.lower() in ("last", "latest"):
        traces = group(spans)
        sel = Selection(**{**sel.__dict__, "run": traces[0].run_id if traces else None})
    found = [t for t in group(spans) if _matches(sel, t)]
    return found[: sel.limit], len(found) > sel.limit


def _summaries(q: Query, sel: Selection) -> list[TraceSummary]:
    scan = sel.commit is not None or sel.root_name is not None
    found = q.backend.list_traces(
        TraceFilter(
            since_ns=parse_time(sel.since),
            until_ns=parse_time(sel.until),
            run_id=q.resolve_run(sel.run),
            service=sel.service,
            limit=SCAN_LIMIT if scan else sel.limit + 1,
        )
    )
    if sel.commit is not None:
        q.resolve_commit(sel.commit)  # NotFound, naming recent commits, when none matches
        prefix = sel.commit.lower()
        found = [s for s in found if (s.vcs_revision or "").startswith(prefix)]
    if sel.root_name is not None:
        found = [s for s in found if s.root_name == sel.root_name]
    return found


def from_store(q: Query, sel: Selection) -> tuple[list[TraceData], bool]:
    """Traces from the store matching ``sel`` (newest first, at most ``sel.limit``)."""
    if sel.traces:
        ids = list(dict.fromkeys(q.resolve_trace(t) for t in sel.traces))
        return [_load(q, i) for i in ids], False
    summaries = _summaries(q, sel)
    truncated = len(summaries) > sel.limit
    loaded = [_load(q, s.trace_id) for s in summaries[: sel.limit]]
    return [t for t in loaded if not is_judge(t)], truncated


def is_judge(trace: TraceData) -> bool:
    """A trace of the LLM judge's own calls: never itself evaluated."""
    return bool(trace.root.attributes.get(semconv.AGENTOTEL_EVALUATION_JUDGE))


def _load(q: Query, trace_id: str) -> TraceData:
    return TraceData.from_spans(q.backend.trace_spans(trace_id))


def run_ids(q: Query, limit: int = 1000) -> list[str]:
    """Run ids in the store, most recent first."""
    return q.backend.run_ids(limit=limit)


def describe(sel: Selection) -> str:
    parts = [f"{k} {v}" for k, v in sel.to_dict().items() if k != "limit"]
    return ", ".join(parts) if parts else "all traces"


def flatten(traces: Sequence[TraceData]) -> list[Span]:
    return [s for t in traces for s in t.spans]
