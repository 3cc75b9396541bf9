"""Query results beyond the store's records: a whole trace, a SQL result, tree order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agentotel.store.model import Span, TraceSummary


@dataclass
class Trace:
    """A trace's summary and its spans in tree order (``Span.depth`` is the nesting level)."""

    summary: TraceSummary
    spans: list[Span] = field(default_factory=list)
    focus_span_id: str | None = None
    """The span asked for, when the trace was opened by one of its span ids."""

    def to_dict(self) -> dict[str, Any]:
        resource = self.spans[0].resource if self.spans else {}
        out = {
            "trace": self.summary.to_dict(),
            "resource": resource,
            "spans": [s.to_dict(full=True) for s in self.spans],
        }
        if self.focus_span_id is not None:
            out["focus_span_id"] = self.focus_span_id
        return out


@dataclass
class SqlResult:
    """Columns and rows of a read-only ``sql`` statement."""

    columns: list[str]
    rows: list[tuple[Any, ...]]

    def to_dict(self) -> dict[str, Any]:
        return {"columns": self.columns, "rows": [list(r) for r in self.rows]}


def tree_order(spans: Sequence[Span]) -> list[Span]:
    """Spans depth-first, children by start time; spans whose parent is absent become roots."""
    ids = {s.span_id for s in spans}
    children: dict[str | None, list[Span]] = {}
    for s in spans:
        parent = s.parent_id if s.parent_id in ids else None
        children.setdefault(parent, []).append(s)
    out: list[Span] = []
    stack: list[tuple[Span, int]] = [
        (s, 0) for s in sorted(children.get(None, []), key=lambda x: x.start_ns, reverse=True)
    ]
    seen: set[str] = set()
    while stack:
        span, depth = stack.pop()
        if span.span_id in seen:
            continue
        seen.add(span.span_id)
        span.depth = depth
        out.append(span)
        kids = sorted(children.get(span.span_id, []), key=lambda x: x.start_ns, reverse=True)
        stack.extend((k, depth + 1) for k in kids)
    # A parent cycle (only possible in hand-made imports) leaves spans unreached: append them.
    out.extend(s for s in spans if s.span_id not in seen)
    return out
