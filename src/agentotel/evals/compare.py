"""Before/after comparison of two sets of traces, with a verdict that allows for noise.

Each metric is computed on both sides. A difference counts only when it is larger
than the metric's tolerance (relative to the baseline, with an absolute floor)
*and*, when both sides have at least two samples, statistically clear: a Welch
z-test for means and rates, a seeded bootstrap for percentiles. With fewer
samples the tolerance alone decides and the comparison says its confidence is low.
Every metric is better when lower.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from agentotel.evals.builtin import Context, ToolLoops, truncated
from agentotel.evals.model import TraceData

IMPROVED = "improved"
REGRESSED = "regressed"
UNCHANGED = "unchanged"
NOT_APPLICABLE = "n/a"

BOOTSTRAP_ROUNDS = 400
BOOTSTRAP_MAX_SAMPLES = 2000


@dataclass(frozen=True)
class DefaultTolerance:
    relative: float
    absolute: float


Sampler = Callable[[TraceData, Context], list[float]]


@dataclass(frozen=True)
class Metric:
    """How to get samples of one quantity from a trace, and how to summarise them."""

    name: str
    description: str
    unit: str
    kind: str  # "mean", "rate" or "percentile"
    tolerance: DefaultTolerance
    sampler: Sampler
    percentile: float | None = None


def _is_error(span: Any) -> bool:
    return span.status == "error" or bool(span.error_type)


def _cost(trace: TraceData, ctx: Context) -> list[float]:
    values = [ctx.cost(s) for s in trace.llm_calls]
    known = [v for v in values if v is not None]
    return [sum(known)] if known else []


_LOOPS = ToolLoops()


def _metrics() -> dict[str, Metric]:
    ms = DefaultTolerance(0.2, 5.0)
    out: list[Metric] = []
    for pct in (50.0, 95.0):
        tag = f"p{int(pct)}"
        out += [
            Metric(
                f"duration_ms.{tag}", f"trace duration {tag}", "ms", "percentile", ms,
                lambda t, c: [t.duration_ns / 1e6], pct,
            ),
            Metric(
                f"llm_latency_ms.{tag}", f"model call latency {tag}", "ms", "percentile", ms,
                lambda t, c: [s.duration_ns / 1e6 for s in t.llm_calls], pct,
            ),
            Metric(
                f"tool_latency_ms.{tag}", f"tool call latency {tag}", "ms", "percentile", ms,
                lambda t, c: [s.duration_ns / 1e6 for s in t.tool_calls], pct,
            ),
        ]  # fmt: skip
    tokens = DefaultTolerance(0.05, 1.0)
    out += [
        Metric("tokens.input", "input tokens per trace", "tokens", "mean", tokens,
               lambda t, c: [float(t.input_tokens)]),
        Metric("tokens.output", "output tokens per trace", "tokens", "mean", tokens,
               lambda t, c: [float(t.output_tokens)]),
        Metric("tokens.total", "tokens per trace", "tokens", "mean", tokens,
               lambda t, c: [float(t.total_tokens)]),
        Metric("cost_usd", "cost per trace", "USD", "mean", DefaultTolerance(0.05, 1e-6), _cost),
        Metric("llm_calls", "model calls per trace", "calls", "mean", DefaultTolerance(0.1, 0.0),
               lambda t, c: [float(len(t.model_turns))]),
        Metric("tool_calls", "tool calls per trace", "calls", "mean", DefaultTolerance(0.1, 0.0),
               lambda t, c: [float(len(t.tool_calls))]),
        Metric("llm_error_rate", "share of model calls that failed", "", "rate",
               DefaultTolerance(0.0, 0.02),
               lambda t, c: [float(_is_error(s)) for s in t.llm_calls]),
        Metric("tool_error_rate", "share of tool calls that failed", "", "rate",
               DefaultTolerance(0.0, 0.02),
               lambda t, c: [float(_is_error(s)) for s in t.tool_calls]),
        Metric("loop_rate", "share of traces with a tool loop", "", "rate",
               DefaultTolerance(0.0, 0.02),
               lambda t, c: [float(bool(_LOOPS.find(t)[0]))]),
        Metric("truncation_rate", "share of model responses cut off by length", "", "rate",
               DefaultTolerance(0.0, 0.02),
               lambda t, c: [float(truncated(s)) for s in t.model_turns]),
    ]  # fmt: skip
    return {m.name: m for m in out}


METRICS: dict[str, Metric] = _metrics()
"""Every metric ``agentotel compare`` reports, by name."""


@dataclass
class Side:
    """One side of a comparison: what was selected and the traces it matched."""

    selector: str
    traces: list[TraceData]
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "selector": self.selector,
            "description": self.description,
            "traces": len(self.traces),
        }


@dataclass
class MetricDelta:
    metric: Metric
    baseline: float | None
    candidate: float | None
    n_baseline: int
    n_candidate: int
    threshold: float | None
    significant: bool | None
    verdict: str

    @property
    def delta(self) -> float | None:
        if self.baseline is None or self.candidate is None:
            return None
        return self.candidate - self.baseline

    @property
    def relative(self) -> float | None:
        delta = self.delta
        if delta is None or not self.baseline:
            return None
        return delta / abs(self.baseline)

    def to_dict(self) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 6)

        return {
            "metric": self.metric.name,
            "description": self.metric.description,
            "unit": self.metric.unit,
            "baseline": r(self.baseline),
            "candidate": r(self.candidate),
            "delta": r(self.delta),
            "relative": r(self.relative),
            "samples": {"baseline": self.n_baseline, "candidate": self.n_candidate},
            "threshold": r(self.threshold),
            "significant": self.significant,
            "better": "lower",
            "verdict": self.verdict,
        }


@dataclass
class Comparison:
    baseline: Side
    candidate: Side
    deltas: list[MetricDelta] = field(default_factory=list)
    confidence: float = 0.95

    @property
    def verdict(self) -> str:
        verdicts = {d.verdict for d in self.deltas}
        if REGRESSED in verdicts:
            return REGRESSED
        if IMPROVED in verdicts:
            return IMPROVED
        return UNCHANGED

    @property
    def low_confidence(self) -> bool:
        return len(self.baseline.traces) < 2 or len(self.candidate.traces) < 2

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "agentotel.compare/1",
            "verdict": self.verdict,
            "regressed": [d.metric.name for d in self.deltas if d.verdict == REGRESSED],
            "improved": [d.metric.name for d in self.deltas if d.verdict == IMPROVED],
            "low_confidence": self.low_confidence,
            "confidence": self.confidence,
            "baseline": self.baseline.to_dict(),
            "candidate": self.candidate.to_dict(),
            "metrics": [d.to_dict() for d in self.deltas],
        }


def _nearest_rank(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def _summary(metric: Metric, samples: Sequence[float]) -> float | None:
    if not samples:
        return None
    if metric.kind == "percentile":
        return _nearest_rank(samples, metric.percentile or 50.0)
    return statistics.fmean(samples)


def _thin(values: Sequence[float], limit: int) -> list[float]:
    """At most ``limit`` values, evenly strided (deterministic)."""
    if len(values) <= limit:
        return list(values)
    step = len(values) / limit
    return [values[int(i * step)] for i in range(limit)]


def _significant(metric: Metric, a: Sequence[float], b: Sequence[float], z: float) -> bool | None:
    """Whether the difference is clear of sampling noise; None when there is too little data."""
    if len(a) < 2 or len(b) < 2:
        return None
    if metric.kind == "percentile":
        rng = random.Random(1729)
        p = metric.percentile or 50.0
        xa, xb = _thin(a, BOOTSTRAP_MAX_SAMPLES), _thin(b, BOOTSTRAP_MAX_SAMPLES)
        diffs = sorted(
            _nearest_rank(rng.choices(xb, k=len(xb)), p)
            - _nearest_rank(rng.choices(xa, k=len(xa)), p)
            for _ in range(BOOTSTRAP_ROUNDS)
        )
        tail = (1 - (2 * _normal_cdf(z) - 1)) / 2
        lo = diffs[int(tail * (len(diffs) - 1))]
        hi = diffs[int((1 - tail) * (len(diffs) - 1))]
        return lo > 0 or hi < 0
    se = math.sqrt(statistics.variance(a) / len(a) + statistics.variance(b) / len(b))
    delta = statistics.fmean(b) - statistics.fmean(a)
    if se == 0:
        return delta != 0
    return abs(delta) / se > z


def _normal_cdf(z: float) -> float:
    return statistics.NormalDist().cdf(z)


def compare(
    baseline: Side,
    candidate: Side,
    ctx: Context,
    tolerances: dict[str, Any] | None = None,
    default_relative: float | None = None,
    confidence: float = 0.95,
    metrics: Sequence[str] | None = None,
) -> Comparison:
    """Per-metric deltas and verdicts for ``candidate`` against ``baseline``."""
    z = statistics.NormalDist().inv_cdf(0.5 + confidence / 2)
    result = Comparison(baseline, candidate, confidence=confidence)
    for name in metrics or list(METRICS):
        metric = METRICS[name]
        a = [v for t in baseline.traces for v in metric.sampler(t, ctx)]
        b = [v for t in candidate.traces for v in metric.sampler(t, ctx)]
        va, vb = _summary(metric, a), _summary(metric, b)
        if va is None or vb is None:
            result.deltas.append(
                MetricDelta(metric, va, vb, len(a), len(b), None, None, NOT_APPLICABLE)
            )
            continue
        tol = (tolerances or {}).get(name)
        relative = tol.relative if tol is not None else metric.tolerance.relative
        if tol is None and default_relative is not None:
            relative = default_relative
        absolute = tol.absolute if tol is not None else metric.tolerance.absolute
        threshold = max(relative * abs(va), absolute)
        delta = vb - va
        significant = _significant(metric, a, b, z)
        if abs(delta) <= threshold or significant is False:
            verdict = UNCHANGED
        else:
            verdict = IMPROVED if delta < 0 else REGRESSED
        result.deltas.append(
            MetricDelta(metric, va, vb, len(a), len(b), threshold, significant, verdict)
        )
    return result
