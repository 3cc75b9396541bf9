"""Before/after comparison: deltas, tolerances, and verdicts that do not chase noise."""

from __future__ import annotations

from agentotel import semconv
from agentotel.evals.builtin import Context
from agentotel.evals.compare import (
    IMPROVED,
    INCONCLUSIVE,
    NOT_APPLICABLE,
    REGRESSED,
    UNCHANGED,
    Side,
    compare,
)
from agentotel.evals.config import Tolerance
from agentotel.evals.model import TraceData
from tests.evals.helpers import TraceBuilder, clean_trace, looping_trace


def side(builders: list[TraceBuilder], name: str = "x") -> Side:
    return Side(name, [TraceData.from_spans(b.spans) for b in builders], name)


def by_metric(result: object) -> dict[str, object]:
    return {d.metric.name: d for d in result.deltas}  # type: ignore[attr-defined]


def test_fixing_a_loop_is_an_improvement() -> None:
    before = side([looping_trace(6) for _ in range(3)], "before")
    after = side([clean_trace() for _ in range(3)], "after")
    result = compare(before, after, Context())
    deltas = by_metric(result)
    assert deltas["loop_rate"].verdict == IMPROVED  # type: ignore[attr-defined]
    assert deltas["tool_calls"].verdict == IMPROVED  # type: ignore[attr-defined]
    assert deltas["tokens.total"].verdict == IMPROVED  # type: ignore[attr-defined]
    assert deltas["llm_error_rate"].verdict == UNCHANGED  # type: ignore[attr-defined]
    assert result.verdict == IMPROVED and not result.low_confidence
    reverse = compare(after, before, Context())
    assert reverse.verdict == REGRESSED
    assert "loop_rate" in reverse.to_dict()["regressed"]


def test_changes_within_tolerance_are_unchanged() -> None:
    def run(tokens: int) -> list[TraceBuilder]:
        out = []
        for _ in range(3):
            b = TraceBuilder()
            b.chat(input_tokens=tokens, output_tokens=0)
            out.append(b)
        return out

    result = compare(side(run(1000)), side(run(1030)), Context(), metrics=["tokens.input"])
    assert result.deltas[0].verdict == UNCHANGED  # +3% is inside the default 5%
    tight = {"tokens.input": Tolerance(0.01, 0.0)}
    result = compare(side(run(1000)), side(run(1030)), Context(), tight, metrics=["tokens.input"])
    assert result.deltas[0].verdict == REGRESSED


def test_noisy_differences_are_not_significant() -> None:
    def run(values: list[int]) -> list[TraceBuilder]:
        out = []
        for v in values:
            b = TraceBuilder()
            b.chat(input_tokens=v, output_tokens=0)
            out.append(b)
        return out

    noisy_a = run([100, 900, 200, 800, 500])
    noisy_b = run([150, 950, 250, 850, 550])  # +10% on average, well inside the spread
    result = compare(side(noisy_a), side(noisy_b), Context(), metrics=["tokens.input"])
    delta = result.deltas[0]
    # Beyond tolerance but not clear of the spread: undecided, with the sample it would take.
    assert delta.significant is False and delta.verdict == INCONCLUSIVE
    assert delta.needed_per_side is not None and delta.needed_per_side > 5
    assert result.verdict == INCONCLUSIVE and result.to_dict()["inconclusive"] == ["tokens.input"]


def test_single_traces_fall_back_to_tolerance_with_low_confidence() -> None:
    result = compare(side([looping_trace(5)]), side([clean_trace()]), Context())
    assert result.low_confidence
    assert by_metric(result)["tool_calls"].significant is None  # type: ignore[attr-defined]
    assert result.verdict == IMPROVED


def test_metrics_without_samples_are_not_applicable() -> None:
    b = TraceBuilder()
    b.chat()
    result = compare(side([b]), side([b]), Context(), metrics=["tool_latency_ms.p95", "cost_usd"])
    assert [d.verdict for d in result.deltas] == [NOT_APPLICABLE, NOT_APPLICABLE]
    data = result.to_dict()
    assert data["schema"] == "agentotel.compare/1" and data["verdict"] == UNCHANGED


def _scenario(case_ids: bool) -> tuple[Side, Side]:
    """20 inputs of very different sizes; 3 loop before the fix; the fix saves 44% tokens."""
    before, after = [], []
    for i in range(20):
        size = int(60 * 1.4**i)  # 60 .. 35,857 tokens: a wide spread between inputs
        for builders, tokens, loops in (
            (before, size, 8 if i % 7 == 0 else 1),
            (after, int(size * 0.56), 1),
        ):
            b = TraceBuilder()
            if case_ids:
                b.root.attributes[semconv.AGENTOTEL_CASE_ID] = f"case-{i}"
            for _ in range(loops):
                b.chat(input_tokens=tokens // loops, output_tokens=0)
                b.tool("search_flights", {"to": "LIS", "day": i})
            b.chat(input_tokens=0, output_tokens=0)
            builders.append(b)
    return side(before, "before"), side(after, "after")


def test_paired_inputs_make_a_real_fix_improved() -> None:
    result = compare(*_scenario(case_ids=True), Context())
    deltas = by_metric(result)
    tokens = deltas["tokens.total"]
    assert result.pairs == 20 and tokens.paired == 20  # type: ignore[attr-defined]
    assert tokens.verdict == IMPROVED and tokens.p_value < 0.01  # type: ignore[attr-defined]
    assert tokens.interval[1] < 0 and tokens.effect_size < -0.5  # type: ignore[attr-defined]
    assert result.verdict == IMPROVED
    data = result.to_dict()
    assert data["paired_traces"] == 20
    assert {row["tool"] for row in data["by_tool"]} == {"search_flights"}
    # Without pairing, the spread between inputs hides the same change.
    unpaired = by_metric(compare(*_scenario(case_ids=False), Context()))["tokens.total"]
    assert unpaired.paired == 0 and unpaired.verdict == INCONCLUSIVE  # type: ignore[attr-defined]
    assert unpaired.needed_per_side > 20  # type: ignore[attr-defined]


def test_a_change_in_the_tool_mix_is_not_a_latency_change() -> None:
    def run(slow_calls: int) -> list[TraceBuilder]:
        out = []
        for _ in range(10):
            b = TraceBuilder()
            for _ in range(slow_calls):
                b.tool("slow_search", duration_ms=200.0)
            for _ in range(3):
                b.tool("fast_lookup", duration_ms=2.0)
            out.append(b)
        return out

    result = compare(side(run(6)), side(run(1)), Context(), metrics=["tool_latency_ms.p50"])
    (delta,) = result.deltas
    assert delta.verdict == UNCHANGED and delta.note is not None
