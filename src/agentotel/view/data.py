"""What a page shows, as plain JSON-able data built from :mod:`agentotel.query` results."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from agentotel import semconv
from agentotel.query import Query, Trace
from agentotel.store.model import LLM_OPERATIONS, Span, TraceSummary, ms

MAX_RUN_TRACES = 10_000
"""A run page lists at most this many traces (the newest); the page says when it cut."""

_AGENT_OPS = (semconv.OP_INVOKE_AGENT, semconv.OP_INVOKE_WORKFLOW)
_CONTENT_KEYS = (
    semconv.GEN_AI_SYSTEM_INSTRUCTIONS,
    semconv.GEN_AI_INPUT_MESSAGES,
    semconv.GEN_AI_OUTPUT_MESSAGES,
)


def _messages(value: Any) -> Any:
    """Captured content is a JSON string on spans; give the page the parsed structure."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _span(span: Span, origin_ns: int) -> dict[str, Any]:
    attrs = span.attributes
    content = {k: _messages(attrs[k]) for k in _CONTENT_KEYS if k in attrs}
    return {
        "id": span.span_id,
        "parent": span.parent_id,
        "name": span.name,
        "kind": span.kind,
        "depth": span.depth,
        "start": ms(span.start_ns - origin_ns),
        "duration": ms(span.duration_ns),
        "status": span.status,
        "status_message": span.status_message,
        "error_type": span.error_type,
        "operation": span.operation,
        "model": span.model,
        "provider": span.provider,
        "agent": span.agent_name,
        "tool": span.tool_name,
        "input_tokens": span.input_tokens,
        "output_tokens": span.output_tokens,
        "cost_usd": span.cost_usd,
        "attributes": {k: v for k, v in attrs.items() if k not in content},
        "content": content,
        "events": [e.to_dict() for e in span.events],
        "links": [link.to_dict() for link in span.links],
    }


def agent_rollup(spans: Sequence[Span]) -> list[dict[str, Any]]:
    """Tokens, cost and call counts per agent span, from the model and tool spans under it.

    Each model or tool span counts once, for its nearest agent (or workflow) ancestor, so
    nested agents do not double count; ``total_*`` adds the nested agents' figures.
    """
    by_id = {s.span_id: s for s in spans}
    rows: dict[str, dict[str, Any]] = {}
    for s in spans:
        if s.operation in _AGENT_OPS:
            rows[s.span_id] = {
                "span_id": s.span_id,
                "name": s.agent_name or s.name,
                "operation": s.operation,
                "llm_calls": 0,
                "tool_calls": 0,
                "input_tokens": 0,
                "output_tokens": 0,
                "cost_usd": None,
            }

    def owner(span: Span) -> str | None:
        seen: set[str] = set()
        parent = span.parent_id
        while parent and parent in by_id and parent not in seen:
            seen.add(parent)
            if parent in rows:
                return parent
            parent = by_id[parent].parent_id
        return None

    for s in spans:
        is_llm = s.operation in LLM_OPERATIONS
        if not is_llm and s.operation != semconv.OP_EXECUTE_TOOL:
            continue
        key = owner(s)
        if key is None:
            continue
        row = rows[key]
        if is_llm:
            row["llm_calls"] += 1
            row["input_tokens"] += s.input_tokens or 0
            row["output_tokens"] += s.output_tokens or 0
            if s.cost_usd is not None:
                row["cost_usd"] = (row["cost_usd"] or 0.0) + s.cost_usd
        else:
            row["tool_calls"] += 1
    return list(rows.values())


def trace_payload(trace: Trace) -> dict[str, Any]:
    """The trace page: summary, spans in tree order with offsets from the trace start, roll-ups."""
    summary = trace.summary
    origin = min((s.start_ns for s in trace.spans), default=summary.start_ns)
    return {
        "page": "trace",
        "title": summary.root_name or summary.trace_id,
        "trace": summary.to_dict(),
        "spans": [_span(s, origin) for s in trace.spans],
        "agents": agent_rollup(trace.spans),
    }


def _evaluations(q: Query, run_id: str, trace_ids: set[str]) -> list[dict[str, Any]]:
    """``gen_ai.evaluation.result`` events recorded on the run's spans (newest kept per key)."""
    out: list[dict[str, Any]] = []
    for s in q.spans(run=run_id, operation=None, limit=MAX_RUN_TRACES, full=True):
        if s.trace_id not in trace_ids:
            continue
        for e in s.events:
            if e.name != semconv.EVENT_EVALUATION_RESULT:
                continue
            a = e.attributes
            out.append(
                {
                    "trace_id": s.trace_id,
                    "span_id": s.span_id,
                    "name": a.get(semconv.GEN_AI_EVALUATION_NAME),
                    "score": a.get(semconv.GEN_AI_EVALUATION_SCORE_VALUE),
                    "label": a.get(semconv.GEN_AI_EVALUATION_SCORE_LABEL),
                    "explanation": a.get(semconv.GEN_AI_EVALUATION_EXPLANATION),
                }
            )
    return out


def _trace_row(t: TraceSummary) -> dict[str, Any]:
    return {
        "trace_id": t.trace_id,
        "root": t.root_name,
        "start": t.to_dict()["start"],
        "duration": ms(t.duration_ns),
        "spans": t.span_count,
        "llm_calls": t.llm_calls,
        "tool_calls": t.tool_calls,
        "input_tokens": t.input_tokens,
        "output_tokens": t.output_tokens,
        "cost_usd": t.cost_usd,
        "errors": t.error_count,
    }


def run_payload(q: Query, run: str) -> dict[str, Any]:
    """The run page: its traces, per-tool error rates and the evaluation results recorded for it."""
    run_id = q.resolve_run(run) or run
    traces = q.traces(run=run_id, limit=MAX_RUN_TRACES + 1)
    if not traces:
        raise LookupError(f"no traces in run {run!r}")
    truncated = len(traces) > MAX_RUN_TRACES
    traces = traces[:MAX_RUN_TRACES]
    tools = q.stats(by="tool", run=run_id, operation=semconv.OP_EXECUTE_TOOL, limit=100)
    return {
        "page": "run",
        "title": f"run {run_id}",
        "run_id": run_id,
        "truncated": truncated,
        "traces": [_trace_row(t) for t in traces],
        "tools": [
            {"tool": g.key, "calls": g.count, "errors": g.error_count, "error_rate": g.error_rate}
            for g in tools
        ],
        "evaluations": _evaluations(q, run_id, {t.trace_id for t in traces}),
    }


def compare_payload(result: dict[str, Any]) -> dict[str, Any]:
    """The compare page: what ``agentotel compare --json`` returns, shown with charts."""
    return {"page": "compare", "title": "compare", "comparison": result}


def index_payload(q: Query, store: str, runs: list[str], limit: int = 200) -> dict[str, Any]:
    """The ``--serve`` start page: the runs and the newest traces, each a link."""
    return {
        "page": "index",
        "title": "traces",
        "store": store,
        "runs": runs,
        "traces": [_trace_row(t) for t in q.traces(limit=limit)],
    }
