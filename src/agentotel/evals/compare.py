"""Before/after comparison of two sets of traces, with a verdict that allows for noise.

Each metric is computed on both sides. A difference counts only when it is larger
than the metric's tolerance (relative to the baseline, with an absolute floor)
*and* statistically clear. When both sides ran the same inputs (traces paired by
:func:`agentotel.evals.pairing.fingerprint`), per-trace metrics are tested on the
paired differences, which removes the spread between inputs; otherwise a Welch
z-test compares means and rates, and a seeded bootstrap compares percentiles. A
difference beyond tolerance that the data cannot yet confirm is ``inconclusive``,
with an estimate of the traces per side that would settle it. Latency percentiles
over calls are also compared tool by tool (or model by model), so a change in the
mix of calls is not reported as calls getting faster or slower. With fewer than two
samples a side the tolerance alone decides and the comparison says its confidence
is low. Every metric is better when lower.
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
from agentotel.evals.pairing import pairs as find_pairs

IMPROVED = "improved"
REGRESSED = "regressed"
UNCHANGED = "unchanged"
INCONCLUSIVE = "inconclusive"
NOT_APPLICABLE = "n/a"

MIN_PAIRS = 5
"""Paired tests need at least this many input pairs (and half of the smaller side)."""
POWER = 0.8
"""The power the "traces needed per side" estimate aims for."""

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
    strata: Callable[[TraceData], list[tuple[str, float]]] | None = None
    """For call-level latency: (tool or model, value) per call, to tell mix from speed."""

    @property
    def per_trace(self) -> bool:
        """One sample per trace (so two sides' traces can be paired)."""
        return self.kind == "mean" or self.name in (
            "loop_rate",
            "duration_ms.p50",
            "duration_ms.p95",
        )


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
                lambda t: [(s.model or "?", s.duration_ns / 1e6) for s in t.llm_calls],
            ),
            Metric(
                f"tool_latency_ms.{tag}", f"tool call latency {tag}", "ms", "percentile", ms,
                lambda t, c: [s.duration_ns / 1e6 for s in t.tool_calls], pct,
                lambda t: [(s.tool_name or s.name, s.duration_ns / 1e6) for s in t.tool_calls],
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
    p_value: float | None = None
    interval: tuple[float, float] | None = None
    effect_size: float | None = None
    paired: int = 0
    needed_per_side: int | None = None
    note: str | None = None

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
            "p_value": r(self.p_value),
            "interval": None if self.interval is None else [r(v) for v in self.interval],
            "effect_size": r(self.effect_size),
            "paired": self.paired,
            "needed_per_side": self.needed_per_side,
            "note": self.note,
            "better": "lower",
            "verdict": self.verdict,
        }


@dataclass
class Comparison:
    baseline: Side
    candidate: Side
    deltas: list[MetricDelta] = field(default_factory=list)
    confidence: float = 0.95
    pairs: int = 0
    breakdown: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        verdicts = {d.verdict for d in self.deltas}
        for verdict in (REGRESSED, IMPROVED, INCONCLUSIVE):
            if verdict in verdicts:
                return verdict
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
            "inconclusive": [d.metric.name for d in self.deltas if d.verdict == INCONCLUSIVE],
            "low_confidence": self.low_confidence,
            "paired_traces": self.pairs,
            "confidence": self.confidence,
            "baseline": self.baseline.to_dict(),
            "candidate": self.candidate.to_dict(),
            "metrics": [d.to_dict() for d in self.deltas],
            "by_tool": self.breakdown.get("tool", []),
            "by_model": self.breakdown.get("model", []),
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


@dataclass
class _Test:
    """What the data says about one difference: clear or not, how clear, and how large."""

    significant: bool | None
    p_value: float | None = None
    interval: tuple[float, float] | None = None
    effect: float | None = None
    needed: int | None = None


def _z_test(delta: float, se: float, sd: float, z: float, per_side: float) -> _Test:
    """Normal test of ``delta`` with standard error ``se``; ``sd`` scales the effect size."""
    z_power = statistics.NormalDist().inv_cdf(POWER)
    effect = delta / sd if sd > 0 else None
    needed = None
    if sd > 0 and delta != 0:
        needed = math.ceil(per_side * ((z + z_power) * sd / abs(delta)) ** 2)
    if se == 0:
        return _Test(delta != 0, 0.0 if delta != 0 else 1.0, (delta, delta), effect, needed)
    stat = abs(delta) / se
    p = 2 * (1 - _normal_cdf(stat))
    return _Test(stat > z, p, (delta - z * se, delta + z * se), effect, needed)


def _unpaired(metric: Metric, a: Sequence[float], b: Sequence[float], z: float) -> _Test:
    """Whether the difference is clear of sampling noise; None when there is too little data."""
    if len(a) < 2 or len(b) < 2:
        return _Test(None)
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
        below = sum(d <= 0 for d in diffs) / len(diffs)
        above = sum(d >= 0 for d in diffs) / len(diffs)
        return _Test(lo > 0 or hi < 0, min(1.0, 2 * min(below, above)), (lo, hi))
    va, vb = statistics.variance(a), statistics.variance(b)
    se = math.sqrt(va / len(a) + vb / len(b))
    delta = statistics.fmean(b) - statistics.fmean(a)
    return _z_test(delta, se, math.sqrt((va + vb) / 2), z, 2.0)


def _paired(diffs: Sequence[float], z: float) -> _Test:
    """Test on per-input differences (candidate minus baseline for the same input)."""
    sd = statistics.stdev(diffs)
    return _z_test(statistics.fmean(diffs), sd / math.sqrt(len(diffs)), sd, z, 1.0)


def _per_trace(metric: Metric, trace: TraceData, ctx: Context) -> float | None:
    values = metric.sampler(trace, ctx)
    return statistics.fmean(values) if values else None


def _mix_only(metric: Metric, base: Side, cand: Side, direction: float, z: float) -> bool:
    """True when a pooled latency change shows in no single tool (or model): a mix change."""
    if metric.strata is None:
        return False
    groups: dict[str, tuple[list[float], list[float]]] = {}
    for side, index in ((base, 0), (cand, 1)):
        for t in side.traces:
            for key, value in metric.strata(t):
                groups.setdefault(key, ([], []))[index].append(value)
    tested = False
    for a, b in groups.values():
        test = _unpaired(metric, a, b, z)
        if test.significant is None:
            continue
        tested = True
        p = metric.percentile or 50.0
        if test.significant and (_nearest_rank(b, p) - _nearest_rank(a, p)) * direction > 0:
            return False
    return tested and len(groups) > 1


def breakdown(base: Side, cand: Side) -> dict[str, list[dict[str, Any]]]:
    """Per tool and per model: calls per trace, error rate and median latency on each side."""

    def stats(side: Side, kind: str) -> dict[str, dict[str, Any]]:
        out: dict[str, list[Any]] = {}
        for t in side.traces:
            calls = t.tool_calls if kind == "tool" else t.llm_calls
            for s in calls:
                key = (s.tool_name or s.name) if kind == "tool" else (s.model or "?")
                out.setdefault(key, []).append(s)
        n = max(len(side.traces), 1)
        return {
            key: {
                "calls_per_trace": round(len(spans) / n, 4),
                "error_rate": round(sum(_is_error(s) for s in spans) / len(spans), 4),
                "p50_ms": round(_nearest_rank([s.duration_ns / 1e6 for s in spans], 50.0), 3),
            }
            for key, spans in out.items()
        }

    result: dict[str, list[dict[str, Any]]] = {}
    for kind in ("tool", "model"):
        a, b = stats(base, kind), stats(cand, kind)
        result[kind] = [
            {kind: key, "baseline": a.get(key), "candidate": b.get(key)}
            for key in sorted(a.keys() | b.keys())
        ]
    return result


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
    matched = find_pairs(baseline.traces, candidate.traces)
    usable = len(matched) >= max(MIN_PAIRS, min(len(baseline.traces), len(candidate.traces)) / 2)
    result = Comparison(
        baseline, candidate, confidence=confidence, pairs=len(matched) if usable else 0
    )
    result.breakdown = breakdown(baseline, candidate)
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
        paired = 0
        test = _Test(None)
        if usable and metric.per_trace:
            diffs = []
            for ta, tb in matched:
                xa, xb = _per_trace(metric, ta, ctx), _per_trace(metric, tb, ctx)
                if xa is not None and xb is not None:
                    diffs.append(xb - xa)
            if len(diffs) >= MIN_PAIRS:
                test, paired = _paired(diffs, z), len(diffs)
        if not paired:
            test = _unpaired(metric, a, b, z)
        note = None
        if abs(delta) <= threshold:
            verdict = UNCHANGED
        elif test.significant is False:
            verdict = INCONCLUSIVE
        elif _mix_only(metric, baseline, candidate, delta, z):
            verdict, note = UNCHANGED, "the mix of calls changed; no single tool or model moved"
        else:
            verdict = IMPROVED if delta < 0 else REGRESSED
        needed = test.needed if verdict == INCONCLUSIVE else None
        result.deltas.append(
            MetricDelta(
                metric, va, vb, len(a), len(b), threshold, test.significant, verdict,
                p_value=test.p_value, interval=test.interval, effect_size=test.effect,
                paired=paired, needed_per_side=needed, note=note,
            )
        )  # fmt: skip
    return result
