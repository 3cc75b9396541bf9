"""The bundled evaluators on hand-built traces: scores, labels and explanations naming spans."""

from __future__ import annotations

import pytest

from agentotel import evals, pricing
from agentotel.evals import Result, TraceData
from agentotel.evals.loops import near
from tests.evals.helpers import TraceBuilder, clean_trace, looping_trace


def outcome(report: evals.Report, name: str) -> evals.Outcome:
    return report.outcome(name)


def test_default_set_runs_without_config() -> None:
    report = evals.evaluate(clean_trace().spans)
    assert [o.evaluator for o in report.outcomes] == list(evals.DEFAULT_SET)
    assert report.passed
    assert all(r.label == "pass" for r in report.results)


def test_exact_loop_fails_and_names_the_spans() -> None:
    b = looping_trace(4)
    report = evals.evaluate(b.spans, ["tool_loops"])
    (result,) = outcome(report, "tool_loops").results
    assert not result.passed and result.label == "fail"
    tool_ids = [s.span_id for s in b.spans if s.tool_name == "lookup_order"]
    assert result.span_ids == tool_ids
    assert result.span_id == b.root.span_id and result.trace_id == b.trace_id
    assert "4 times with the same arguments" in result.explanation
    assert tool_ids[0][:8] in result.explanation
    assert result.score == pytest.approx(1 - 3 / 4)


def test_below_threshold_passes() -> None:
    report = evals.evaluate(looping_trace(2).spans, ["tool_loops"])
    assert report.passed
    report = evals.evaluate(looping_trace(2).spans, ["tool_loops"], min_repeats=2)
    assert not report.passed


def test_near_identical_arguments_count_as_a_loop() -> None:
    b = TraceBuilder()
    for query in (
        "weather in Paris",
        "Weather in paris?",
        "weather  in Paris!",
        "weather in Pariss",
    ):
        b.tool("search", {"q": query})
    (result,) = evals.evaluate(b.spans, ["tool_loops"]).results
    assert not result.passed
    assert "near-identical arguments" in result.explanation
    assert result.details["loops"][0]["count"] == 4


def test_different_values_and_pages_are_not_loops() -> None:
    b = TraceBuilder()
    for city in ("Paris", "London", "Berlin", "Oslo"):
        b.tool("weather", {"city": city})
    for page in (1, 2, 3, 4):
        b.tool("list_orders", {"customer": "c-17", "page": page})
    report = evals.evaluate(b.spans, ["tool_loops"])
    assert report.passed, report.explain()


def test_near_rules() -> None:
    assert near({"a": 1.0}, {"a": 1}, 0.9)
    assert not near({"a": True}, {"a": 1}, 0.9)
    assert not near({"a": "x"}, {"a": "x", "b": 1}, 0.9)
    assert near(["Hello, World"], ["hello world"], 1.0)
    assert not near("paris", "london", 0.9)


def test_without_arguments_falls_back_to_the_call_pattern_and_says_so() -> None:
    b = looping_trace(6, with_args=False)
    (result,) = evals.evaluate(b.spans, ["tool_loops"]).results
    assert not result.passed
    assert "arguments not captured" in result.explanation
    assert result.details["arguments_captured"] is False
    ok = evals.evaluate(looping_trace(4, with_args=False).spans, ["tool_loops"]).results[0]
    assert ok.passed and "not captured" in ok.explanation


def test_interleaved_tools_without_arguments_are_not_a_run() -> None:
    b = TraceBuilder()
    for _ in range(5):
        b.tool("read_file")
        b.tool("write_file")
    assert evals.evaluate(b.spans, ["tool_loops"]).passed


def test_nested_tool_spans_are_counted_once() -> None:
    b = TraceBuilder()
    for _ in range(2):
        outer = b.tool("lookup", {"id": 1})
        b.tool("lookup", {"id": 1}, parent=outer)  # e.g. an MCP server span under the client's
    assert evals.evaluate(b.spans, ["tool_loops"]).passed


def test_tool_and_llm_error_rates() -> None:
    b = TraceBuilder()
    b.tool("a", {"x": 1}, error="TimeoutError")
    b.tool("a", {"x": 2})
    b.chat(error="openai.RateLimitError")
    for _ in range(9):
        b.chat()
    report = evals.evaluate(b.spans, ["tool_errors", "llm_errors"])
    tool = outcome(report, "tool_errors").results[0]
    assert not tool.passed and "1 of 2 tool calls failed (50%" in tool.explanation
    assert "TimeoutError x1" in tool.explanation
    # A result over many traces names the trace of the first span it is about.
    assert len(tool.span_ids) == 1
    failing = next(s for s in b.spans if s.span_id == tool.span_ids[0])
    assert tool.trace_id == failing.trace_id and tool.to_dict()["span_id"] == failing.span_id
    llm = outcome(report, "llm_errors").results[0]
    assert llm.passed and llm.score == pytest.approx(0.9)
    strict = evals.evaluate(b.spans, ["llm_errors"], max_rate=0.0)
    assert not strict.passed


def test_latency_budgets() -> None:
    b = TraceBuilder()
    for ms in (10, 20, 30, 900):
        b.tool("search", {"q": str(ms)}, duration_ms=ms)
    b.chat(duration_ms=100)
    report = evals.evaluate(
        b.spans,
        ["latency"],
        budgets=[
            {"tool": "search", "percentile": 50, "max": "50ms"},
            {"tool": "search", "percentile": 95, "max_ms": 500},
            {"operation": "chat", "max": "1s"},
            {"agent": "nobody", "max": 1},
        ],
    )
    results = {r.subject: r for r in report.results}
    assert results["tool=search p50"].passed
    # A passing percentile does not call its few slow spans "over budget".
    assert "over budget" not in results["tool=search p50"].explanation
    assert "1 span slower, within the p50 allowance" in results["tool=search p50"].explanation
    slow = results["tool=search p95"]
    assert not slow.passed and "900.0 ms" in slow.explanation and len(slow.span_ids) == 1
    assert results["operation=chat p95"].passed
    assert "not judged" in results["agent=nobody p95"].explanation
    assert not report.passed


def test_tokens_budget_per_trace() -> None:
    b = TraceBuilder()
    b.chat(input_tokens=900, output_tokens=200)
    b.chat(input_tokens=100, output_tokens=10)
    (result,) = evals.evaluate(b.spans, ["tokens"], max_total=1000).results
    assert not result.passed and "total 1,210 > 1,000" in result.explanation
    assert result.span_ids[0] == b.spans[1].span_id  # the largest call first
    assert evals.evaluate(b.spans, ["tokens"], max_output=500).passed


def test_nested_llm_spans_are_not_double_counted() -> None:
    b = TraceBuilder()
    outer = b.chat(input_tokens=100, output_tokens=10)
    b.chat(input_tokens=100, output_tokens=10, parent=outer)
    assert TraceData.from_spans(b.spans).total_tokens == 110


def test_cost_uses_the_price_table_and_overrides() -> None:
    b = TraceBuilder()
    b.chat(model="gpt-4o-mini", input_tokens=1_000_000, output_tokens=0)
    b.chat(model="house-model", input_tokens=1000, output_tokens=0)
    (result,) = evals.evaluate(b.spans, ["cost"], max_usd=0.10).results
    assert not result.passed and "$0.150000" in result.explanation
    assert "no price for house-model" in result.explanation
    prices = pricing.pricer({"house-model": pricing.Price(1.0, 1.0)})
    (priced,) = evals.evaluate(b.spans, ["cost"], prices=prices, max_usd=1.0).results
    assert priced.passed and priced.details["cost_usd"] == pytest.approx(0.151)
    # The cost states where its prices came from: the user's for house-model.
    assert priced.details["cost_source"] in ("genai-prices+user", "bundled+user")
    (strict,) = evals.evaluate(
        b.spans[:1] + b.spans[2:], ["cost"], max_usd=1.0, unknown_price="fail"
    ).results
    assert not strict.passed


def test_truncation_share() -> None:
    b = TraceBuilder()
    b.chat(finish="length")
    b.chat(finish="max_tokens")
    for _ in range(8):
        b.chat()
    (result,) = evals.evaluate(b.spans, ["truncation"]).results
    assert not result.passed and "2 of 10" in result.explanation
    assert len(result.span_ids) == 2
    assert evals.evaluate(b.spans, ["truncation"], max_share=0.2).passed


def test_steps_per_agent_run() -> None:
    b = TraceBuilder()
    for _ in range(5):
        b.chat()
    inner = b._span("invoke_agent helper", b.root, "invoke_agent", 1000)
    for _ in range(3):
        b.chat(parent=inner)
    (result,) = evals.evaluate(b.spans, ["steps"], max_llm_calls=4).results
    assert not result.passed
    assert "made 5 model calls (max 4)" in result.explanation
    assert result.span_ids == [b.root.span_id]


def test_custom_callables_and_their_return_shapes() -> None:
    spans = clean_trace().spans

    def used_lookup(trace: TraceData) -> bool:
        return any(s.tool_name == "lookup_order" for s in trace.tool_calls)

    def explained(trace: TraceData) -> tuple[bool, str]:
        return False, "never happy"

    def scored(trace: TraceData) -> tuple[float, bool, str]:
        return 0.5, True, "half"

    def as_dict(trace: TraceData) -> dict[str, object]:
        return {"label": "fail", "explanation": "nope", "span_ids": [trace.root.span_id]}

    def not_applicable(trace: TraceData) -> None:
        return None

    @evals.evaluator(scope="traces", name="count")
    def whole(traces: list[TraceData]) -> Result:
        return Result("count", 1.0, len(traces) == 1, f"{len(traces)} traces")

    def broken(trace: TraceData) -> bool:
        raise RuntimeError("bug in evaluator")

    report = evals.evaluate(
        spans, [used_lookup, explained, scored, as_dict, not_applicable, whole, broken]
    )
    by = {o.evaluator: o for o in report.outcomes}
    assert by["used_lookup"].passed
    assert by["explained"].results[0].explanation == "never happy"
    assert by["scored"].score == 0.5 and by["scored"].passed
    assert not by["as_dict"].passed
    assert by["not_applicable"].results == [] and by["not_applicable"].passed
    assert by["count"].passed and by["count"].scope == "traces"
    assert not by["broken"].passed and "RuntimeError: bug in evaluator" in (
        by["broken"].error or ""
    )
    assert not report.passed
    assert "broken: error" in report.explain()


def test_report_json_shape() -> None:
    data = evals.evaluate(looping_trace(3).spans).to_dict()
    assert data["schema"] == "agentotel.eval/1"
    assert data["passed"] is False and data["failed_evaluators"] == ["tool_loops"]
    loops = next(e for e in data["evaluations"] if e["evaluator"] == "tool_loops")
    assert loops["label"] == "fail"
    detail = loops["details"][0]
    assert {"score", "label", "explanation", "trace_id", "span_id", "span_ids"} <= set(detail)
