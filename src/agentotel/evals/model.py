"""What evaluators see and what they return: a trace's spans, and a scored, labelled result."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from agentotel import semconv
from agentotel.store.model import LLM_OPERATIONS, Span, iso

PASS = "pass"
FAIL = "fail"

MODEL_TURN_OPERATIONS: tuple[str, ...] = tuple(
    op for op in LLM_OPERATIONS if op != semconv.OP_EMBEDDINGS
)
"""Model calls that are a turn of a conversation (embeddings are not)."""


def short(span_id: str | None) -> str:
    """A span or trace id shortened for explanations (the full ids are in ``span_ids``)."""
    return (span_id or "?")[:8]


def name_spans(spans: Sequence[Span], limit: int = 5) -> str:
    """``"spans 1a2b3c4d, 5e6f7a8b and 3 more"``: how explanations name the spans involved."""
    ids = [short(s.span_id) for s in spans[:limit]]
    if not ids:
        return "no spans"
    more = len(spans) - len(ids)
    text = ", ".join(ids)
    if more > 0:
        text += f" and {more} more"
    return ("span " if len(spans) == 1 else "spans ") + text


@dataclass
class TraceData:
    """One trace as evaluators see it: its spans in tree order plus the views they ask for.

    ``llm_calls`` and ``tool_calls`` hold only the outermost spans of their kind, so a
    framework span wrapping a client span (or an MCP server span under its client span)
    is counted once.
    """

    trace_id: str
    spans: list[Span]
    _parents: dict[str, Span | None] = field(default_factory=dict, repr=False)

    @classmethod
    def from_spans(cls, spans: Iterable[Span]) -> TraceData:
        from agentotel.query import tree_order

        ordered = tree_order(list(spans))
        if not ordered:
            raise ValueError("a trace needs at least one span")
        return cls(trace_id=ordered[0].trace_id, spans=ordered)

    def __post_init__(self) -> None:
        by_id = {s.span_id: s for s in self.spans}
        self._parents = {
            s.span_id: by_id.get(s.parent_id) if s.parent_id else None for s in self.spans
        }

    # --- structure ---------------------------------------------------------------

    @property
    def root(self) -> Span:
        """The root span (the earliest span without a parent in this trace)."""
        return self.spans[0]

    def parent(self, span: Span) -> Span | None:
        return self._parents.get(span.span_id)

    def ancestors(self, span: Span) -> Iterator[Span]:
        seen = {span.span_id}
        current = self.parent(span)
        while current is not None and current.span_id not in seen:
            seen.add(current.span_id)
            yield current
            current = self.parent(current)

    def _outermost(self, operations: Sequence[str]) -> list[Span]:
        found = [s for s in self.spans if s.operation in operations]
        found = [s for s in found if not any(a.operation in operations for a in self.ancestors(s))]
        return sorted(found, key=lambda s: (s.start_ns, s.span_id))

    @property
    def llm_calls(self) -> list[Span]:
        """Model calls (chat, completions, generate_content, embeddings), outermost only."""
        return self._outermost(LLM_OPERATIONS)

    @property
    def model_turns(self) -> list[Span]:
        """Model calls that are conversation turns (no embeddings), outermost only."""
        return self._outermost(MODEL_TURN_OPERATIONS)

    @property
    def tool_calls(self) -> list[Span]:
        """``execute_tool`` spans in start order, outermost only."""
        return self._outermost((semconv.OP_EXECUTE_TOOL,))

    @property
    def agent_runs(self) -> list[Span]:
        """``invoke_agent`` spans in start order."""
        return sorted(
            (s for s in self.spans if s.operation == semconv.OP_INVOKE_AGENT),
            key=lambda s: s.start_ns,
        )

    def find(
        self,
        operation: str | None = None,
        tool: str | None = None,
        agent: str | None = None,
        model: str | None = None,
        name: str | None = None,
        status: str | None = None,
    ) -> list[Span]:
        """Spans matching every given field (``model`` matches request or response model)."""
        out = []
        for s in self.spans:
            if operation is not None and s.operation != operation:
                continue
            if tool is not None and s.tool_name != tool:
                continue
            if agent is not None and s.agent_name != agent:
                continue
            if model is not None and model not in (s.request_model, s.response_model):
                continue
            if name is not None and s.name != name:
                continue
            if status is not None and s.status != status:
                continue
            out.append(s)
        return out

    # --- facts -------------------------------------------------------------------

    @property
    def start_ns(self) -> int:
        return min(s.start_ns for s in self.spans)

    @property
    def end_ns(self) -> int:
        return max(s.end_ns for s in self.spans)

    @property
    def duration_ns(self) -> int:
        return max(0, self.end_ns - self.start_ns)

    def _first(self, attr: str) -> str | None:
        for s in self.spans:
            value = getattr(s, attr)
            if value:
                return str(value)
        return None

    @property
    def run_id(self) -> str | None:
        return self._first("run_id")

    @property
    def vcs_revision(self) -> str | None:
        return self._first("vcs_revision")

    @property
    def service_name(self) -> str | None:
        return self._first("service_name")

    @property
    def input_tokens(self) -> int:
        return sum(s.input_tokens or 0 for s in self.llm_calls)

    @property
    def output_tokens(self) -> int:
        return sum(s.output_tokens or 0 for s in self.llm_calls)

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def summary(self) -> dict[str, Any]:
        return {
            "trace_id": self.trace_id,
            "root_name": self.root.name,
            "start": iso(self.start_ns),
            "run_id": self.run_id,
            "vcs_revision": self.vcs_revision,
            "service_name": self.service_name,
        }


@dataclass
class Result:
    """One evaluation: a score (higher is better), pass or fail, and why.

    ``span_id`` is the evaluated span, where the ``gen_ai.evaluation.result`` event is
    recorded (a trace's root for per-trace evaluators; ``None`` for results over many
    traces, which are recorded on the spans in ``span_ids``). ``span_ids`` are the spans
    the explanation is about. ``subject`` says what was measured when an evaluator
    returns several results per trace or selection (``"tool=search p95"``).
    """

    evaluator: str
    score: float
    passed: bool
    explanation: str
    trace_id: str | None = None
    span_id: str | None = None
    span_ids: list[str] = field(default_factory=list)
    subject: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return PASS if self.passed else FAIL

    def to_dict(self) -> dict[str, Any]:
        return {
            "evaluator": self.evaluator,
            "subject": self.subject,
            "score": round(self.score, 4),
            "label": self.label,
            "passed": self.passed,
            "explanation": self.explanation,
            "trace_id": self.trace_id,
            # For a result over many traces: the first span it is about.
            "span_id": self.span_id or (self.span_ids[0] if self.span_ids else None),
            "span_ids": self.span_ids,
            "details": self.details,
        }


@dataclass
class Outcome:
    """Everything one evaluator returned for a selection; it passes when every result does."""

    evaluator: str
    scope: str
    results: list[Result] = field(default_factory=list)
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and all(r.passed for r in self.results)

    @property
    def score(self) -> float | None:
        if not self.results:
            return None
        return statistics.fmean(r.score for r in self.results)

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if not r.passed]

    def to_dict(self) -> dict[str, Any]:
        score = self.score
        return {
            "evaluator": self.evaluator,
            "scope": self.scope,
            "passed": self.passed,
            "label": PASS if self.passed else FAIL,
            "score": None if score is None else round(score, 4),
            "results": len(self.results),
            "failed": len(self.failed),
            "error": self.error,
            "details": [r.to_dict() for r in self.results],
        }


@dataclass
class Report:
    """The outcome of one ``agentotel eval``: it passes when every evaluator passes."""

    outcomes: list[Outcome]
    traces: list[TraceData]
    selection: dict[str, Any] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)
    truncated: bool = False
    recorded: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(o.passed for o in self.outcomes)

    @property
    def results(self) -> list[Result]:
        return [r for o in self.outcomes for r in o.results]

    def outcome(self, evaluator: str) -> Outcome:
        for o in self.outcomes:
            if o.evaluator == evaluator:
                return o
        raise KeyError(f"no evaluator {evaluator!r} in this report")

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "agentotel.eval/1",
            "passed": self.passed,
            "label": PASS if self.passed else FAIL,
            "source": self.source,
            "selection": self.selection,
            "trace_count": len(self.traces),
            "truncated": self.truncated,
            "traces": [t.summary() for t in self.traces],
            "failed_evaluators": [o.evaluator for o in self.outcomes if not o.passed],
            "evaluations": [o.to_dict() for o in self.outcomes],
            "recorded": self.recorded,
        }

    def explain(self) -> str:
        """A plain-text account of the failures (used by the pytest helpers' assertions)."""
        lines = []
        for o in self.outcomes:
            if o.error:
                lines.append(f"{o.evaluator}: error: {o.error}")
            for r in o.failed:
                where = f" [trace {short(r.trace_id)}]" if r.trace_id else ""
                subject = f" ({r.subject})" if r.subject else ""
                lines.append(f"{o.evaluator}{subject}{where}: {r.explanation}")
        return "\n".join(lines) if lines else "all evaluations passed"
