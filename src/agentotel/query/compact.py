"""Compact output for coding agents: one line per span, long values elided, a size budget.

A full trace with captured content runs to tens of kilobytes (41 KB for 17 spans
in one agent's run), most of it message text an agent rarely needs at first.
:func:`trace_lines` gives one line per span with each attribute value clipped,
and a line with a clipped value ends with how to read the span whole; :func:`fit` keeps a
JSON answer under a character budget by dropping list items from the end and
saying how many were left out.
"""

from __future__ import annotations

import json
from typing import Any

from agentotel import semconv
from agentotel.query.results import Trace
from agentotel.store.model import Span, ms

VALUE_CHARS = 120
"""Longest attribute value shown whole in compact output."""

# Facts already on the line (or noise for a first look): not repeated as attributes.
_SKIP = {
    semconv.GEN_AI_OPERATION_NAME,
    semconv.GEN_AI_PROVIDER_NAME,
    semconv.GEN_AI_REQUEST_MODEL,
    semconv.GEN_AI_USAGE_INPUT_TOKENS,
    semconv.GEN_AI_USAGE_OUTPUT_TOKENS,
    semconv.ERROR_TYPE,
}


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def how_to_read(span: Span, mcp: bool) -> str:
    """The command (or MCP call) that returns ``span`` with every value whole."""
    if mcp:
        return (
            f'find_spans(trace_id="{span.trace_id}", where=["span_id={span.span_id}"], full=true)'
        )
    return (
        f"agentotel spans --trace {span.trace_id[:12]} --where span_id={span.span_id} --full --json"
    )


def span_line(span: Span, value_chars: int = VALUE_CHARS, mcp: bool = False) -> str:
    """One span as one line: tree indent, id, name, duration, outcome, usage, attributes.

    A value longer than ``value_chars`` is cut and marked ``…[+N chars]``; the line
    then ends with how to read the span whole.
    """
    clipped = False

    def clip(text: str) -> str:
        nonlocal clipped
        if len(text) <= value_chars:
            return text
        clipped = True
        return f"{text[:value_chars]}…[+{len(text) - value_chars} chars]"

    parts = [f"{'  ' * span.depth}{span.span_id} {span.name}", f"{ms(span.duration_ns)}ms"]
    if span.status == "error":
        parts.append(f"ERROR {span.error_type or ''}".rstrip())
        if span.status_message:
            parts.append(repr(clip(span.status_message)))
    if span.input_tokens is not None or span.output_tokens is not None:
        parts.append(f"tokens={span.input_tokens or 0}/{span.output_tokens or 0}")
    if span.cost_usd is not None:
        parts.append(f"cost=${span.cost_usd:.6f}")
    for key, value in span.attributes.items():
        if key not in _SKIP:
            parts.append(f"{key}={clip(_value(value))}")
    if clipped:
        parts.append(f"(whole: {how_to_read(span, mcp)})")
    return " ".join(parts)


def trace_lines(trace: Trace, value_chars: int = VALUE_CHARS, mcp: bool = False) -> list[str]:
    """A header line for the trace, then one line per span in tree order."""
    t = trace.summary
    head = (
        f"trace {t.trace_id} {t.root_name or '?'} status={t.status}"
        + (f" error_type={t.error_type}" if t.error_type else "")
        + f" {ms(t.duration_ns)}ms spans={t.span_count} llm={t.llm_calls} tools={t.tool_calls}"
        f" tokens={t.input_tokens}/{t.output_tokens} errors={t.error_count}"
        + (f" cost=${t.cost_usd:.6f}" if t.cost_usd is not None else "")
        + (f" run={t.run_id}" if t.run_id else "")
    )
    lines = [head]
    for span in trace.spans:
        line = span_line(span, value_chars, mcp)
        if span.span_id == trace.focus_span_id:
            line += "  <== asked for"
        lines.append(line)
    return lines


def compact_dict(trace: Trace, value_chars: int = VALUE_CHARS, mcp: bool = False) -> dict[str, Any]:
    """A trace as ``{"trace": summary, "lines": [...]}`` (the MCP ``compact`` format)."""
    out: dict[str, Any] = {
        "trace": trace.summary.to_dict(),
        "lines": trace_lines(trace, value_chars, mcp)[1:],
    }
    if trace.focus_span_id:
        out["focus_span_id"] = trace.focus_span_id
    return out


def fit(payload: dict[str, Any], key: str, max_chars: int | None, hint: str) -> dict[str, Any]:
    """``payload`` with items dropped from the end of its list ``key`` until its JSON is at
    most ``max_chars`` long; a ``truncated`` entry then says how many were kept and ``hint``."""
    if not max_chars or max_chars <= 0:
        return payload
    items = payload.get(key)
    if not isinstance(items, list) or len(json.dumps(payload, default=str)) <= max_chars:
        return payload
    total = len(items)
    sizes = [len(json.dumps(item, default=str)) + 2 for item in items]
    room = max_chars - len(json.dumps({**payload, key: []}, default=str)) - 200 - len(hint)
    kept = 0
    used = 0
    while kept < total and used + sizes[kept] <= room:
        used += sizes[kept]
        kept += 1
    return {
        **payload,
        key: items[:kept],
        "truncated": {"kept": kept, "total": total, "max_chars": max_chars, "hint": hint},
    }
