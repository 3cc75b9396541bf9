"""``agentotel report``: the evidence a pull request should carry for an agent change.

It puts together, for a "before" and an "after" selection of traces: the comparison
(verdict, per-metric statistics), the gate run on each side, the traces that changed
most, and the headline deltas (tokens, cost, latency, calls), as Markdown a reviewer
reads in a minute, or as JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agentotel.evals.compare import Comparison, Side
from agentotel.evals.model import Report, TraceData, short
from agentotel.evals.pairing import fingerprint, pairs

SCHEMA = "agentotel.report/1"
_HEADLINE = (
    "tokens.total",
    "cost_usd",
    "duration_ms.p50",
    "duration_ms.p95",
    "llm_calls",
    "tool_calls",
    "loop_rate",
    "tool_error_rate",
    "llm_error_rate",
)
_CHANGED = 5


def _trace_facts(trace: TraceData) -> dict[str, Any]:
    return {
        "trace_id": trace.trace_id,
        "root": trace.root.name,
        "duration_ms": round(trace.duration_ns / 1e6, 3),
        "tokens": trace.total_tokens,
        "llm_calls": len(trace.llm_calls),
        "tool_calls": len(trace.tool_calls),
        "failed": trace.root.status == "error",
    }


def changed_traces(before: Sequence[TraceData], after: Sequence[TraceData]) -> list[dict[str, Any]]:
    """Pairs of traces run on the same input, the largest change in tokens or calls first."""
    out = []
    for ta, tb in pairs(before, after):
        a, b = _trace_facts(ta), _trace_facts(tb)
        steps_a, steps_b = a["llm_calls"] + a["tool_calls"], b["llm_calls"] + b["tool_calls"]
        change = abs(b["tokens"] - a["tokens"]) / max(a["tokens"], 1) + abs(
            steps_b - steps_a
        ) / max(steps_a, 1)
        out.append({"input": fingerprint(ta), "before": a, "after": b, "change": round(change, 4)})
    out.sort(key=lambda p: p["change"], reverse=True)
    return out[:_CHANGED]


def _gate(report: Report) -> dict[str, Any]:
    return {
        "passed": report.passed,
        "traces": len(report.traces),
        "failed_evaluators": [o.evaluator for o in report.outcomes if not o.passed],
        "evaluators": [
            {
                "evaluator": o.evaluator,
                "passed": o.passed,
                "score": None if o.score is None else round(o.score, 4),
                "failures": [
                    {"trace_id": r.trace_id, "span_id": r.span_id, "explanation": r.explanation}
                    for r in o.failed[:3]
                ],
                "error": o.error,
            }
            for o in report.outcomes
        ],
    }


@dataclass
class Evidence:
    """Both sides, their comparison and their gates."""

    before: Side
    after: Side
    comparison: Comparison
    gate_before: Report
    gate_after: Report

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
            "verdict": self.comparison.verdict,
            "comparison": self.comparison.to_dict(),
            "gate": {"before": _gate(self.gate_before), "after": _gate(self.gate_after)},
            "changed_traces": changed_traces(self.before.traces, self.after.traces),
            "largest_after": sorted(
                (_trace_facts(t) for t in self.after.traces), key=lambda f: -f["tokens"]
            )[:3],
        }


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "USD":
        return f"${value:.6f}" if value < 0.01 else f"${value:.4f}"
    if unit == "ms":
        return f"{value:.0f} ms" if value >= 10 else f"{value:.2f} ms"
    if unit == "":
        return f"{value * 100:.1f}%"
    return f"{value:,.1f}".rstrip("0").rstrip(".")


def _change(metric: dict[str, Any]) -> str:
    if metric["delta"] is None:
        return "-"
    if metric["unit"] == "":
        return f"{metric['delta'] * 100:+.1f} pts"
    rel = metric["relative"]
    return f"{rel * 100:+.0f}%" if rel is not None else f"{metric['delta']:+g}"


def _gate_cell(gate: dict[str, Any]) -> str:
    if gate["passed"]:
        return "PASS"
    failed = gate["failed_evaluators"]
    return f"FAIL ({', '.join(failed)})"


def markdown(data: dict[str, Any]) -> str:
    """The report as Markdown for a pull request."""
    cmp = data["comparison"]
    before, after = data["before"], data["after"]
    metrics = {m["metric"]: m for m in cmp["metrics"]}
    lines = [
        "## agentotel: before/after evidence",
        "",
        f"**Verdict: {data['verdict'].upper()}** · before `{before['selector']}` "
        f"({before['traces']} traces) → after `{after['selector']}` ({after['traces']} traces)"
        f" · confidence {cmp['confidence']}",
        "",
        "| | before | after | change | verdict |",
        "|---|---|---|---|---|",
        f"| gate | {_gate_cell(data['gate']['before'])} | {_gate_cell(data['gate']['after'])} | | |",
    ]
    for name in _HEADLINE:
        m = metrics.get(name)
        if m is None:
            continue
        lines.append(
            f"| {m['description']} | {_fmt(m['baseline'], m['unit'])} | "
            f"{_fmt(m['candidate'], m['unit'])} | {_change(m)} | {m['verdict']} |"
        )
    lines += ["", "### Gate", "", "| evaluator | before | after |", "|---|---|---|"]
    after_gate = {e["evaluator"]: e for e in data["gate"]["after"]["evaluators"]}
    for e in data["gate"]["before"]["evaluators"]:
        other = after_gate.get(e["evaluator"])
        cell = "-" if other is None else ("pass" if other["passed"] else "FAIL")
        lines.append(f"| {e['evaluator']} | {'pass' if e['passed'] else 'FAIL'} | {cell} |")
    failures = [
        (side, f)
        for side in ("before", "after")
        for e in data["gate"][side]["evaluators"]
        for f in e["failures"]
    ]
    if failures:
        lines += ["", "Failures (first of each evaluator):", ""]
        lines += [
            f"- {side}, trace `{short(f['trace_id'])}`: {f['explanation']}"
            for side, f in failures[:8]
        ]
    changed = data["changed_traces"]
    lines += ["", "### Traces that changed most", ""]
    if changed:
        lines += [
            "| input | before | after | tokens | calls (LLM+tool) |",
            "|---|---|---|---|---|",
        ]
        for p in changed:
            a, b = p["before"], p["after"]
            lines.append(
                f"| `{p['input']}` | `{short(a['trace_id'])}` | `{short(b['trace_id'])}` | "
                f"{a['tokens']} → {b['tokens']} | {a['llm_calls'] + a['tool_calls']} → "
                f"{b['llm_calls'] + b['tool_calls']} |"
            )
    else:
        lines.append(
            "No trace pairs: the sides share no case id or captured input. Largest after: "
            + ", ".join(
                f"`{short(t['trace_id'])}` ({t['tokens']} tokens)" for t in data["largest_after"]
            )
        )
    lines += [
        "",
        "<details><summary>All metrics</summary>",
        "",
        "| metric | before | after | change | samples | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for m in cmp["metrics"]:
        lines.append(
            f"| {m['metric']} | {_fmt(m['baseline'], m['unit'])} | {_fmt(m['candidate'], m['unit'])}"
            f" | {_change(m)} | {m['samples']['baseline']}/{m['samples']['candidate']} | {m['verdict']} |"
        )
    lines += [
        "",
        "</details>",
        "",
        f"Reproduce: `agentotel compare --baseline {before['selector']} --candidate "
        f"{after['selector']}`, `agentotel show TRACE` for any id above.",
        "",
    ]
    return "\n".join(lines)
