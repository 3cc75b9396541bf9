"""Human-readable output for the CLI: aligned tables and the span tree of ``show``."""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import shutil
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from agentotel import semconv
from agentotel.query import SqlResult, Trace
from agentotel.store.model import GroupStats, Span, TraceSummary


class Style:
    """Terminal capabilities: Unicode box drawing and ANSI colour, each only where it works."""

    def __init__(self, stream: TextIO) -> None:
        encoding = (getattr(stream, "encoding", None) or "").lower()
        self.unicode = "utf" in encoding
        tty = hasattr(stream, "isatty") and stream.isatty()
        self.color = tty and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
        self.width = shutil.get_terminal_size((120, 24)).columns if tty else 120

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color and text else text

    def red(self, text: str) -> str:
        return self._wrap("31", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def cyan(self, text: str) -> str:
        return self._wrap("36", text)


# --- small formatters -----------------------------------------------------------


def duration(ns: int | None) -> str:
    if ns is None:
        return "-"
    if ns < 1_000_000:
        return f"{ns / 1e6:.2f} ms"
    if ns < 1_000_000_000:
        return f"{ns / 1e6:.0f} ms"
    if ns < 60_000_000_000:
        return f"{ns / 1e9:.2f} s"
    minutes, seconds = divmod(ns / 1e9, 60)
    return f"{int(minutes)}m {seconds:02.0f}s"


def local_time(ns: int | None) -> str:
    if not ns:
        return "-"
    stamp = _dt.datetime.fromtimestamp(ns / 1e9).astimezone()
    return stamp.strftime("%Y-%m-%d %H:%M:%S")


def number(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def money(value: float | None) -> str:
    if value is None:
        return "-"
    if value == 0:
        return "$0"
    if value < 5e-9:
        return "~$0"
    if value < 0.01:  # two significant digits for the tiny costs of single calls
        digits = min(8, max(4, 1 - math.floor(math.log10(value))))
        return f"${value:.{digits}f}"
    return f"${value:.2f}"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def clip(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    if width <= 1:
        return text[:width]
    return text if len(text) <= width else text[: width - 1] + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    """Columns padded to their widest cell; indexes in ``right`` are right-aligned."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(headers), *(line(r) for r in rows)])


# --- commands ---------------------------------------------------------------------


def traces(found: Sequence[TraceSummary], style: Style) -> str:
    if not found:
        return "no traces match"
    rows = []
    for t in found:
        rows.append(
            [
                t.trace_id[:8],
                clip(t.root_name or "?", 40),
                local_time(t.start_ns),
                duration(t.duration_ns),
                str(t.span_count),
                str(t.llm_calls),
                str(t.tool_calls),
                f"{number(t.input_tokens)}/{number(t.output_tokens)}",
                money(t.cost_usd),
                style.red(str(t.error_count)) if t.error_count else "0",
                style.red(f"FAILED {t.error_type or ''}".rstrip()) if t.status == "error" else "ok",
            ]
        )
    headers = ["TRACE", "ROOT", "STARTED", "DURATION", "SPANS", "LLM", "TOOLS", "TOKENS IN/OUT",
               "COST", "ERRORS", "RUN"]  # fmt: skip
    body = table(headers, rows, right=(3, 4, 5, 6, 7, 8, 9))
    return (
        body + "\n" + style.dim("(ids are prefixes: agentotel show ID accepts any unique prefix)")
    )


def spans(found: Sequence[Span], style: Style) -> str:
    if not found:
        return "no spans match"
    rows = []
    for s in found:
        what = s.model or s.tool_name or s.agent_name or ""
        tokens = (
            f"{number(s.input_tokens)}/{number(s.output_tokens)}"
            if s.input_tokens is not None or s.output_tokens is not None
            else ""
        )
        status = (s.error_type or s.status) if s.status == "error" else "ok"
        rows.append(
            [
                s.trace_id[:8],
                s.span_id,
                clip(s.name, 36),
                s.operation or "-",
                clip(what, 28),
                duration(s.duration_ns),
                style.red(clip(status, 24)) if s.status == "error" else status,
                tokens,
                local_time(s.start_ns),
            ]
        )
    headers = ["TRACE", "SPAN", "NAME", "OPERATION", "MODEL/TOOL/AGENT", "DURATION", "STATUS",
               "TOKENS", "STARTED"]  # fmt: skip
    return table(headers, rows, right=(5, 7))


def stats(groups: Sequence[GroupStats], by: str, style: Style) -> str:
    if not groups:
        return "no spans match"
    rows = []
    for g in groups:
        rows.append(
            [
                clip(str(g.key) if g.key is not None else "(none)", 40),
                number(g.trace_count),
                number(g.count),
                number(g.error_count),
                f"{g.error_rate * 100:.1f}%",
                duration(g.p50_ns),
                duration(g.p95_ns),
                duration(g.p99_ns),
                duration(g.total_ns),
                number(g.input_tokens),
                number(g.output_tokens),
                money(g.cost_usd),
            ]
        )
    headers = [by.upper(), "TRACES", "SPANS", "ERRORS", "ERR%", "P50", "P95", "P99", "TOTAL",
               "TOKENS IN", "TOKENS OUT", "COST"]  # fmt: skip
    out = table(headers, rows, right=tuple(range(1, 12)))
    if any(g.per_trace for g in groups):
        out += "\n" + style.dim("(P50/P95/P99 and TOTAL are of whole traces)")
    kinds = [
        [f"  {clip(str(g.key), 30)} {op}", number(k.count), number(k.error_count),
         duration(k.p50_ns), duration(k.p95_ns), duration(k.p99_ns), duration(k.total_ns)]
        for g in groups for op, k in g.kinds.items()
    ]  # fmt: skip
    if kinds and by != "operation":
        out += "\n\nper operation:\n" + table(
            ["  GROUP OPERATION", "SPANS", "ERRORS", "P50", "P95", "P99", "TOTAL"],
            kinds,
            right=tuple(range(1, 7)),
        )
    if any(not g.exact for g in groups):
        out += "\n" + style.dim("(percentiles estimated from ~5% duration buckets)")
    return out


def sql(result: SqlResult) -> str:
    rows = [["NULL" if v is None else clip(str(v), 60) for v in row] for row in result.rows]
    return table(result.columns or [""], rows) if result.columns else "(no result columns)"


# --- show ---------------------------------------------------------------------------


def _text_of(parts: Any) -> str:
    """Readable text from a list of message parts (text, tool calls, responses)."""
    out: list[str] = []
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind in (semconv.PART_TEXT, semconv.PART_REASONING) and part.get("content"):
            out.append(str(part["content"]))
        elif kind == semconv.PART_TOOL_CALL:
            args = part.get("arguments")
            shown = json.dumps(args, ensure_ascii=False) if not isinstance(args, str) else args
            out.append(f"→ {part.get('name')}({shown or ''})")
        elif kind == semconv.PART_TOOL_CALL_RESPONSE:
            response = part.get("response")
            shown = (
                response if isinstance(response, str) else json.dumps(response, ensure_ascii=False)
            )
            out.append(f"← {shown}")
    return " ".join(out)


def _messages(raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return [{"role": "?", "parts": [{"type": "text", "content": raw}]}]
    return [m for m in raw if isinstance(m, dict)] if isinstance(raw, list) else []


def content_lines(span: Span) -> list[str]:
    """One line each for the captured input, output, tool arguments and tool result."""
    lines: list[str] = []
    a = span.attributes
    inputs = _messages(a.get(semconv.GEN_AI_INPUT_MESSAGES))
    if inputs:
        last = inputs[-1]
        lines.append(f"{last.get('role', '?')}: {_text_of(last.get('parts'))}")
    for message in _messages(a.get(semconv.GEN_AI_OUTPUT_MESSAGES))[:1]:
        lines.append(f"{message.get('role', 'assistant')}: {_text_of(message.get('parts'))}")
    for key, label in (
        (semconv.GEN_AI_TOOL_CALL_ARGUMENTS, "args"),
        (semconv.GEN_AI_TOOL_CALL_RESULT, "result"),
    ):
        value = a.get(key)
        if value is not None:
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            lines.append(f"{label}: {shown}")
    return [line for line in lines if line.split(":", 1)[-1].strip()]


def _error_line(span: Span) -> str | None:
    if span.status != "error" and not span.error_type:
        return None
    message = span.status_message
    for event in span.events:
        if event.name == semconv.EVENT_EXCEPTION:
            message = message or event.attributes.get(semconv.EXCEPTION_MESSAGE)
    kind = span.error_type or "error"
    return f"{kind}: {message}" if message else kind


def _bar(span: Span, start: int, total: int, width: int, style: Style) -> str:
    if total <= 0:
        return " " * width
    first = int((span.start_ns - start) / total * width)
    cells = max(1, round(span.duration_ns / total * width))
    first = min(max(first, 0), width - 1)
    cells = min(cells, width - first)
    fill, empty = ("█", "·") if style.unicode else ("#", ".")
    return style.dim(empty * first) + fill * cells + style.dim(empty * (width - first - cells))


def show(trace: Trace, style: Style, content: bool = True) -> str:
    t = trace.summary
    first = trace.spans[0] if trace.spans else None
    head = [style.bold(f"trace {t.trace_id}") + (f"  {t.root_name}" if t.root_name else "")]
    ident = []
    if t.service_name:
        ident.append(f"service {t.service_name}")
    if t.run_id:
        ident.append(f"run {t.run_id}")
    if t.vcs_revision:
        dirty = first.resource.get(semconv.AGENTOTEL_VCS_DIRTY) if first else None
        ident.append(f"commit {t.vcs_revision[:12]}" + (" (dirty)" if dirty else ""))
    if ident:
        head.append("  " + " · ".join(ident))
    facts = [
        local_time(t.start_ns),
        duration(t.duration_ns),
        _plural(t.span_count, "span"),
        _plural(t.llm_calls, "LLM call"),
        _plural(t.tool_calls, "tool call"),
        f"tokens {number(t.input_tokens)} in / {number(t.output_tokens)} out",
    ]
    if t.cost_usd is not None:
        facts.append(f"cost {money(t.cost_usd)}")
    errors = _plural(t.error_count, "error")
    facts.append(style.red(errors) if t.error_count else errors)
    head.append("  " + " · ".join(facts))

    pipe, tee, elbow = ("│", "├─", "└─") if style.unicode else ("|", "|-", "`-")
    spans = trace.spans
    ids = {s.span_id for s in spans}
    last_child: dict[str | None, str] = {}
    has_children: set[str] = set()
    for s in spans:  # tree order, so the last one seen per parent is its last child
        parent = s.parent_id if s.parent_id in ids else None
        last_child[parent] = s.span_id
        if parent is not None:
            has_children.add(parent)
    labels: list[tuple[str, str, Span]] = []  # (prefix for the span, prefix for detail lines, span)
    open_levels: list[bool] = []  # per depth: do more siblings follow (so a "│" continues)?
    for span in spans:
        depth = span.depth
        del open_levels[depth:]
        parent = span.parent_id if span.parent_id in ids else None
        last = last_child.get(parent) == span.span_id
        if depth == 0:
            prefix = detail = ""
        else:
            trunk = "".join((pipe + "  ") if o else "   " for o in open_levels[1:depth])
            prefix = trunk + (elbow if last else tee) + " "
            detail = trunk + ("   " if last else pipe + "  ")
        open_levels.append(not last)
        labels.append(
            (prefix, detail + (pipe + "  " if span.span_id in has_children else "   "), span)
        )

    name_width = min(max((len(p) + len(s.name) for p, _, s in labels), default=10), 64)
    bar_width = 24 if style.width >= 100 else 12
    lines = ["\n".join(head), ""]
    for prefix, detail, span in labels:
        name = clip(prefix + span.name, name_width)
        facts = []
        if span.provider:
            facts.append(span.provider)
        if span.input_tokens is not None or span.output_tokens is not None:
            facts.append(f"{number(span.input_tokens)}→{number(span.output_tokens)} tok")
        if span.cost_usd is not None:
            facts.append(money(span.cost_usd))
        if span.span_id == trace.focus_span_id:
            facts.append(style.bold(f"{'◀' if style.unicode else '<'} span {span.span_id}"))
        row = (
            f"{name.ljust(name_width)}  {duration(span.duration_ns).rjust(9)}  "
            f"{_bar(span, t.start_ns, t.duration_ns, bar_width, style)}  {'  '.join(facts)}"
        )
        lines.append(row.rstrip())
        room = max(20, style.width - len(detail) - 4)
        error = _error_line(span)
        if error:
            mark = "✗" if style.unicode else "x"
            lines.append(detail + " " + style.red(clip(f"{mark} {error}", room)))
        if content:
            for text in content_lines(span):
                lines.append(detail + " " + style.cyan(clip(text, room)))
    return "\n".join(lines)


def schema(data: dict[str, Any]) -> str:
    lines = ["tables (agentotel sql):"]
    for name, columns in data["tables"].items():
        lines.append(f"  {name}: {', '.join(columns)}")
    lines.append(f"--where fields: {', '.join(data['where_fields'])}")
    lines.append(f"--where operators: {' '.join(data['where_operators'])}")
    lines.append(f"attribute keys (of the {data['sampled_spans']:,} newest spans):")
    rows = [
        [k["key"], str(k["count"]), clip(", ".join(map(str, k["examples"])), 60)]
        for k in data["attribute_keys"]
    ]
    lines.append(table(["  KEY", "SPANS", "EXAMPLES"], [["  " + r[0], *r[1:]] for r in rows], (1,)))
    return "\n".join(lines)


def dump_json(data: Any, stream: TextIO | None = None) -> None:
    out = stream if stream is not None else sys.stdout
    json.dump(data, out, ensure_ascii=False, indent=2, default=str)
    out.write("\n")
