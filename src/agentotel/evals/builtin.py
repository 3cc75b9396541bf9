"""The bundled evaluators: loops, error rates, latency budgets, tokens, cost, truncation, steps.

Each one is configured from its option table (``[eval.NAME]``) and returns
:class:`~agentotel.evals.model.Result` objects whose explanations name the spans
involved. Per-trace evaluators return one result per trace, recorded on the
trace's root span; the others judge the whole selection at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from agentotel import pricing, semconv
from agentotel.evals import loops as loops_mod
from agentotel.evals.errors import ConfigError
from agentotel.evals.model import MODEL_TURN_OPERATIONS, Result, TraceData, name_spans, short
from agentotel.evals.options import Options
from agentotel.store.model import Span

PriceFn = Callable[[str | None, int, int, int, int], "float | None"]

TRACE = "trace"
TRACES = "traces"

TRUNCATION_REASONS = frozenset({"length", "max_tokens", "max_output_tokens", "model_length"})
"""Finish reasons meaning the model stopped because it ran out of output tokens."""


@dataclass
class Context:
    """What evaluators may need beyond the spans: how to price a model call."""

    prices: PriceFn | None = None

    def cost(self, span: Span) -> float | None:
        """Estimated USD of one model call, or None when its model has no known price."""
        if self.prices is None:
            return None
        reported = pricing.recorded(span.attributes)
        if reported is not None:
            return reported
        if span.input_tokens is None and span.output_tokens is None:
            return None
        return self.prices(
            span.response_model or span.request_model,
            span.input_tokens or 0,
            span.output_tokens or 0,
            span.cache_read_tokens or 0,
            span.cache_creation_tokens or 0,
        )

    def cost_source(self, spans: Sequence[Span]) -> str | None:
        """Where the prices of ``spans`` came from (``user``, ``genai-prices``, ``bundled``)."""
        source = getattr(self.prices, "source", None)
        if not callable(source):
            return None if self.prices is None or not spans else "custom"
        found = {source(s.response_model or s.request_model) for s in spans}
        return "+".join(sorted(f for f in found if f)) or None


class Evaluator:
    """Base of the bundled evaluators; custom ones need only be plain callables."""

    name: ClassVar[str] = ""
    scope: ClassVar[str] = TRACE
    description: ClassVar[str] = ""

    @classmethod
    def configure(cls, options: Options) -> Evaluator:
        """Build from an option table, raising ConfigError for a bad or unknown key."""
        instance = cls()
        options.done()
        return instance

    def evaluate(self, traces: Sequence[TraceData], ctx: Context) -> list[Result]:
        if self.scope == TRACE:
            return [self.evaluate_trace(t, ctx) for t in traces]
        return self.evaluate_all(traces, ctx)

    def evaluate_trace(self, trace: TraceData, ctx: Context) -> Result:
        raise NotImplementedError

    def evaluate_all(self, traces: Sequence[TraceData], ctx: Context) -> list[Result]:
        raise NotImplementedError

    def result(
        self,
        trace: TraceData | None,
        score: float,
        passed: bool,
        explanation: str,
        spans: Sequence[Span] = (),
        subject: str | None = None,
        **details: Any,
    ) -> Result:
        return Result(
            evaluator=self.name,
            score=max(0.0, min(1.0, score)),
            passed=passed,
            explanation=explanation,
            # A result over many traces points at the first span it is about, so every
            # finding names a trace (and, in its JSON, a span) that `agentotel show` opens.
            trace_id=trace.trace_id if trace is not None else spans[0].trace_id if spans else None,
            span_id=trace.root.span_id if trace is not None else None,
            span_ids=[s.span_id for s in spans],
            subject=subject,
            details=details,
        )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%" if value * 100 == int(value * 100) else f"{value * 100:.1f}%"


# --- tool_loops ------------------------------------------------------------------------


class ToolLoops(Evaluator):
    name = "tool_loops"
    description = "the same tool called with the same (or nearly the same) arguments repeatedly"

    def __init__(
        self, min_repeats: int = 3, similarity: float = 0.9, min_repeats_without_arguments: int = 5
    ) -> None:
        self.min_repeats = min_repeats
        self.similarity = similarity
        self.min_repeats_without_arguments = min_repeats_without_arguments

    @classmethod
    def configure(cls, options: Options) -> Evaluator:
        instance = cls(
            min_repeats=options.number("min_repeats", 3, minimum=2, integer=True),
            similarity=options.number("similarity", 0.9, minimum=0.5, maximum=1.0),
            min_repeats_without_arguments=options.number(
                "min_repeats_without_arguments", 5, minimum=2, integer=True
            ),
        )
        options.done()
        return instance

    def find(self, trace: TraceData) -> tuple[list[loops_mod.Loop], bool]:
        """The loops in a trace, and whether any tool was judged without its arguments."""
        calls = trace.tool_calls
        found: list[loops_mod.Loop] = []
        by_tool: dict[str, list[Span]] = {}
        for span in calls:
            by_tool.setdefault(span.tool_name or span.name, []).append(span)
        blind: set[str] = set()
        for tool, spans in by_tool.items():
            with_args = [s for s in spans if loops_mod.has_arguments(s)]
            if with_args:
                found += loops_mod.argument_loops(
                    tool, with_args, self.min_repeats, self.similarity
                )
            if len(with_args) < len(spans):
                blind.add(tool)
        if blind:
            pattern = [s for s in calls if (s.tool_name or s.name) in blind]
            # Only calls in a row without arguments: calls with arguments were judged above.
            pattern = [s for s in pattern if not loops_mod.has_arguments(s)]
            found += loops_mod.consecutive_loops(
                _contiguous(calls, pattern), self.min_repeats_without_arguments
            )
        return found, bool(blind)

    def evaluate_trace(self, trace: TraceData, ctx: Context) -> Result:
        calls = trace.tool_calls
        found, blind = self.find(trace)
        caveat = (
            " (arguments were not captured for some calls, so those were judged on the tool "
            "name and call pattern only; turn content capture on to compare arguments)"
            if blind
            else ""
        )
        if not found:
            return self.result(
                trace,
                1.0,
                True,
                f"no tool loops in {_plural(len(calls), 'tool call')}{caveat}",
                tool_calls=len(calls),
                arguments_captured=not blind,
            )
        redundant = sum(loop.count - 1 for loop in found)
        parts = []
        involved: list[Span] = []
        for loop in sorted(found, key=lambda lp: -lp.count):
            involved += loop.spans
            if loop.by_arguments:
                how = "the same arguments" if loop.exact else "near-identical arguments"
                example = loop.example if len(loop.example) <= 80 else loop.example[:77] + "..."
                parts.append(
                    f"{loop.tool} called {loop.count} times with {how} {example} "
                    f"({name_spans(loop.spans)})"
                )
            else:
                parts.append(
                    f"{loop.tool} called {loop.count} times in a row; arguments not captured, "
                    f"judged on tool name and call pattern only ({name_spans(loop.spans)})"
                )
        return self.result(
            trace,
            1.0 - redundant / max(1, len(calls)),
            False,
            "; ".join(parts),
            involved,
            tool_calls=len(calls),
            redundant_calls=redundant,
            loops=[
                {
                    "tool": lp.tool,
                    "count": lp.count,
                    "exact": lp.exact,
                    "by_arguments": lp.by_arguments,
                    "arguments": lp.example or None,
                    "span_ids": [s.span_id for s in lp.spans],
                }
                for lp in found
            ],
            arguments_captured=not blind,
        )


def _contiguous(calls: Sequence[Span], subset: Sequence[Span]) -> list[Span]:
    """``calls`` with spans outside ``subset`` replaced by breaks, so runs stay runs of the trace."""
    keep = {s.span_id for s in subset}
    out: list[Span] = []
    for s in calls:
        if s.span_id in keep:
            out.append(s)
        else:
            out.append(Span(trace_id=s.trace_id, span_id="", parent_id=None, name=""))
    return out


# --- error rates -----------------------------------------------------------------------


def _is_error(span: Span) -> bool:
    return span.status == "error" or bool(span.error_type)


class _ErrorRate(Evaluator):
    scope = TRACES
    what = ""
    default_max_rate = 0.0

    def __init__(self, max_rate: float | None = None, min_calls: int = 1) -> None:
        self.max_rate = self.default_max_rate if max_rate is None else max_rate
        self.min_calls = min_calls

    @classmethod
    def configure(cls, options: Options) -> Evaluator:
        instance = cls(
            max_rate=options.number("max_rate", cls.default_max_rate, minimum=0.0, maximum=1.0),
            min_calls=options.number("min_calls", 1, minimum=1, integer=True),
        )
        options.done()
        return instance

    def calls(self, trace: TraceData) -> list[Span]:
        raise NotImplementedError

    def evaluate_all(self, traces: Sequence[TraceData], ctx: Context) -> list[Result]:
        calls = [s for t in traces for s in self.calls(t)]
        errors = [s for s in calls if _is_error(s)]
        if len(calls) < self.min_calls:
            return [
                self.result(
                    None,
                    1.0,
                    True,
                    f"{len(calls)} {self.what}s, fewer than min_calls={self.min_calls}: not judged",
                    calls=len(calls),
                    errors=len(errors),
                )
            ]
        rate = len(errors) / len(calls)
        passed = rate <= self.max_rate
        text = (
            f"{len(errors)} of {len(calls)} {self.what}s failed ({_pct(rate)}, "
            f"max {_pct(self.max_rate)})"
        )
        if errors:
            kinds: dict[str, int] = {}
            for s in errors:
                key = s.error_type or s.status_message or "error"
                kinds[key] = kinds.get(key, 0) + 1
            top = ", ".join(f"{k} x{n}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
            text += f": {top} ({name_spans(errors)})"
        return [
            self.result(
                None,
                1.0 - rate,
                passed,
                text,
                errors[:100],
                calls=len(calls),
                errors=len(errors),
                rate=round(rate, 4),
                max_rate=self.max_rate,
            )
        ]


class ToolErrors(_ErrorRate):
    name = "tool_errors"
    description = "share of tool calls that failed"
    what = "tool call"
    default_max_rate = 0.25

    def calls(self, trace: TraceData) -> list[Span]:
        return trace.tool_calls


class LLMErrors(_ErrorRate):
    name = "llm_errors"
    description = "share of model calls that failed"
    what = "model call"
    default_max_rate = 0.1

    def calls(self, trace: TraceData) -> list[Span]:
        return trace.llm_calls


# --- latency ---------------------------------------------------------------------------

_SELECTORS = ("operation", "agent", "tool", "model", "name")


@dataclass
class Budget:
    """``p{percentile}`` of the durations of the spans one selector picks must be <= ``max_ms``."""

    selector: str
    value: str
    percentile: float
    max_ms: float

    @property
    def label(self) -> str:
        pct = int(self.percentile) if self.percentile == int(self.percentile) else self.percentile
        return f"{self.selector}={self.value} p{pct}"

    def spans(self, trace: TraceData) -> list[Span]:
        if self.selector == "operation":
            return [s for s in trace.spans if s.operation == self.value]
        if self.selector == "agent":
            return [
                s
                for s in trace.spans
                if s.operation == semconv.OP_INVOKE_AGENT and s.agent_name == self.value
            ]
        if self.selector == "tool":
            return [s for s in trace.tool_calls if s.tool_name == self.value]
        if self.selector == "model":
            return [s for s in trace.llm_calls if self.value in (s.request_model, s.response_model)]
        return [s for s in trace.spans if s.name == self.value]


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (``p`` in 0..100) of unsorted values."""
    ordered = sorted(values)
    rank = max(0, math.ceil(p / 100.0 * len(ordered)) - 1)
    return ordered[min(rank, len(ordered) - 1)]


class Latency(Evaluator):
    name = "latency"
    scope = TRACES
    description = "percentile latency budgets per operation, agent, tool, model or span name"

    def __init__(self, budgets: list[Budget]) -> None:
        self.budgets = budgets

    @classmethod
    def configure(cls, options: Options) -> Evaluator:
        raw = options.raw("budgets")
        key = options.key("budgets")
        if raw is None:
            raise options.error(
                "budgets",
                'required: a list like [{tool = "search", percentile = 95, max = "2s"}]',
            )
        if isinstance(raw, Mapping):
            raw = [raw]
        if not isinstance(raw, list) or not raw:
            raise options.error("budgets", "expected a non-empty list of tables")
        budgets = []
        for i, item in enumerate(raw):
            entry = Options(item, f"{key}[{i}]", options.source)
            chosen = [s for s in _SELECTORS if entry.has(s)]
            if len(chosen) != 1:
                got = ", ".join(chosen) if chosen else "none"
                raise ConfigError(
                    entry.path,
                    f"give exactly one of {', '.join(_SELECTORS)} (got {got})",
                    entry.source,
                )
            selector = chosen[0]
            value = entry.string(selector, None)
            pct = entry.number("percentile", 95.0, minimum=1.0, maximum=100.0)
            if entry.has("max") and entry.has("max_ms"):
                raise entry.error("max", "give max or max_ms, not both")
            limit = entry.duration_ms("max", None) if entry.has("max") else None
            if limit is None:
                limit = entry.duration_ms("max_ms", None)
            if limit is None:
                raise entry.error("max", 'required: the budget, like "2s" or 2000 (ms)')
            entry.done()
            budgets.append(Budget(selector, value, pct, limit))
        options.done()
        return cls(budgets)

    def evaluate_all(self, traces: Sequence[TraceData], ctx: Context) -> list[Result]:
        out = []
        for b in self.budgets:
            spans = [s for t in traces for s in b.spans(t)]
            if not spans:
                out.append(
                    self.result(
                        None, 1.0, True, f"no spans match {b.label}: not judged", subject=b.label
                    )
                )
                continue
            value_ms = percentile([s.duration_ns / 1e6 for s in spans], b.percentile)
            passed = value_ms <= b.max_ms
            slow = sorted(
                (s for s in spans if s.duration_ns / 1e6 > b.max_ms), key=lambda s: -s.duration_ns
            )
            text = (
                f"{b.label} is {value_ms:.1f} ms over {len(spans)} spans (budget {b.max_ms:g} ms)"
            )
            if slow and not passed:
                text += f"; {len(slow)} over budget, slowest {name_spans(slow, 3)}"
            elif slow:  # the percentile is within budget: these few are allowed, not failures
                text += (
                    f"; {_plural(len(slow), 'span')} slower, within the p{b.percentile:g} allowance"
                )
            out.append(
                self.result(
                    None,
                    1.0 if passed else b.max_ms / value_ms,
                    passed,
                    text,
                    slow[:100] if not passed else (),
                    subject=b.label,
                    value_ms=round(value_ms, 3),
                    max_ms=b.max_ms,
                    span_count=len(spans),
                )
            )
        return out


# --- tokens and cost -------------------------------------------------------------------


class Tokens(Evaluator):
    name = "tokens"
    description = "per-trace token budgets (input, output, total)"

    def __init__(
        self,
        max_total: int | None = None,
        max_input: int | None = None,
        max_output: int | None = None,
    ) -> None:
        self.limits = {"total": max_total, "input": max_input, "output": max_output}

    @classmethod
    def configure(cls, options: Options) -> Evaluator:
        values = {
            k: options.number(f"max_{k}", None, minimum=0, integer=True)
            for k in ("total", "input", "output")
        }
        if all(v is None for v in values.values()):
            raise options.error("max_total", "set at least one of max_total, max_input, max_output")
        options.done()
        return cls(values["total"], values["input"], values["output"])

    def evaluate_trace(self, trace: TraceData, ctx: Context) -> Result:
        used = {
            "total": trace.total_tokens,
            "input": trace.input_tokens,
            "output": trace.output_tokens,
        }
        over = []
        score = 1.0
        for kind, limit in self.limits.items():
            if limit is None:
                continue
            if used[kind] > limit:
                over.append(f"{kind} {used[kind]:,} > {limit:,}")
                score = min(score, limit / used[kind] if used[kind] else 1.0)
        calls = trace.llm_calls
        heavy = sorted(calls, key=lambda s: -((s.input_tokens or 0) + (s.output_tokens or 0)))
        budgets = ", ".join(f"max_{k} {v:,}" for k, v in self.limits.items() if v is not None)
        if over:
            text = (
                f"token budget exceeded: {'; '.join(over)} over {len(calls)} model calls; "
                f"largest {name_spans(heavy, 3)}"
            )
        else:
            text = (
                f"{used['total']:,} tokens ({used['input']:,} in, {used['output']:,} out) "
                f"over {len(calls)} model calls, within {budgets}"
            )
        return self.result(
            trace,
            score,
            not over,
            text,
            heavy[:10] if over else (),
            total=used["total"],
            input=used["input"],
            output=used["output"],
            limits=self.limits,
        )


class Cost(Evaluator):
    name = "cost"
    description = "per-trace cost budget, from token counts and the price table"

    def __init__(self, max_usd: float, unknown_price: str = "pass") -> None:
        self.max_usd = max_usd
        self.unknown_price = unknown_price

    @classmethod
    def configure(cls, options: Options) -> Evaluator:
        max_usd = options.number("max_usd", None, minimum=0.0)
        if max_usd is None:
            raise options.error("max_usd", "required: the most one trace may cost, in USD")
        unknown = options.string("unknown_price", "pass", ("pass", "fail"))
        options.done()
        return cls(max_usd, unknown)

    def evaluate_trace(self, trace: TraceData, ctx: Context) -> Result:
        total = 0.0
        unpriced: list[Span] = []
        priced: list[tuple[float, Span]] = []
        for span in trace.llm_calls:
            value = ctx.cost(span)
            if value is None:
                if span.input_tokens is not None or span.output_tokens is not None:
                    unpriced.append(span)
                continue
            total += value
            priced.append((value, span))
        models = sorted({s.response_model or s.request_model or "?" for s in unpriced})
        note = (
            f"; no price for {', '.join(models)} ({name_spans(unpriced, 3)}): add them under "
            "[prices] in the config"
            if unpriced
            else ""
        )
        passed = total <= self.max_usd and not (unpriced and self.unknown_price == "fail")
        priced.sort(key=lambda vs: -vs[0])
        text = f"${total:.6f} (budget ${self.max_usd:g}) over {len(priced)} priced calls{note}"
        if total > self.max_usd:
            largest = name_spans([s for _, s in priced], 3)
            text = f"cost ${total:.6f} exceeds ${self.max_usd:g}; largest {largest}{note}"
        score = 1.0 if total <= self.max_usd else self.max_usd / total
        return self.result(
            trace,
            score if passed or total > self.max_usd else 0.0,
            passed,
            text,
            [s for _, s in priced[:10]] if total > self.max_usd else unpriced[:10],
            cost_usd=round(total, 6),
            cost_source=ctx.cost_source([s for _, s in priced]),
            max_usd=self.max_usd,
            unpriced_models=models,
        )


# --- truncation ------------------------------------------------------------------------


def finish_reasons(span: Span) -> list[str]:
    raw = span.attributes.get(semconv.GEN_AI_RESPONSE_FINISH_REASONS)
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    return [str(r) for r in raw] if isinstance(raw, (list, tuple)) else []


def truncated(span: Span) -> bool:
    return any(r.lower() in TRUNCATION_REASONS for r in finish_reasons(span))


class Truncation(Evaluator):
    name = "truncation"
    scope = TRACES
    description = "share of model responses cut off by the output token limit"

    def __init__(self, max_share: float = 0.1) -> None:
        self.max_share = max_share

    @classmethod
    def configure(cls, options: Options) -> Evaluator:
        instance = cls(options.number("max_share", 0.1, minimum=0.0, maximum=1.0))
        options.done()
        return instance

    def evaluate_all(self, traces: Sequence[TraceData], ctx: Context) -> list[Result]:
        calls = [s for t in traces for s in t.model_turns]
        cut = [s for s in calls if truncated(s)]
        share = len(cut) / len(calls) if calls else 0.0
        passed = share <= self.max_share
        text = (
            f"{len(cut)} of {len(calls)} model responses stopped at the length limit "
            f"({_pct(share)}, max {_pct(self.max_share)})"
        )
        if cut:
            text += f": {name_spans(cut)}"
        return [
            self.result(
                None,
                1.0 - share,
                passed,
                text,
                cut[:100],
                calls=len(calls),
                truncated=len(cut),
                share=round(share, 4),
                max_share=self.max_share,
            )
        ]


# --- steps -----------------------------------------------------------------------------


class Steps(Evaluator):
    name = "steps"
    description = "model turns and tool calls per agent run"

    def __init__(self, max_llm_calls: int | None = 25, max_tool_calls: int | None = 50) -> None:
        self.max_llm_calls = max_llm_calls
        self.max_tool_calls = max_tool_calls

    @classmethod
    def configure(cls, options: Options) -> Evaluator:
        instance = cls(
            options.number("max_llm_calls", 25, minimum=1, integer=True),
            options.number("max_tool_calls", 50, minimum=1, integer=True),
        )
        options.done()
        return instance

    def runs(self, trace: TraceData) -> list[tuple[Span, list[Span], list[Span]]]:
        """Each agent run (or the whole trace, without agent spans) with its turns and tools."""
        agents = trace.agent_runs
        turns, tools = trace.model_turns, trace.tool_calls
        if not agents:
            return [(trace.root, turns, tools)]
        agent_ids = {a.span_id for a in agents}

        def owner(span: Span) -> str | None:
            for a in trace.ancestors(span):
                if a.span_id in agent_ids:
                    return a.span_id
            return None

        out = []
        for a in agents:
            out.append(
                (
                    a,
                    [s for s in turns if owner(s) == a.span_id],
                    [s for s in tools if owner(s) == a.span_id],
                )
            )
        return out

    def evaluate_trace(self, trace: TraceData, ctx: Context) -> Result:
        problems = []
        involved: list[Span] = []
        score = 1.0
        worst_turns = worst_tools = 0
        for run, turns, tools in self.runs(trace):
            who = run.agent_name or run.name
            worst_turns = max(worst_turns, len(turns))
            worst_tools = max(worst_tools, len(tools))
            if self.max_llm_calls is not None and len(turns) > self.max_llm_calls:
                problems.append(
                    f"{who} ({short(run.span_id)}) made {len(turns)} model calls "
                    f"(max {self.max_llm_calls})"
                )
                score = min(score, self.max_llm_calls / len(turns))
                involved.append(run)
            if self.max_tool_calls is not None and len(tools) > self.max_tool_calls:
                problems.append(
                    f"{who} ({short(run.span_id)}) made {len(tools)} tool calls "
                    f"(max {self.max_tool_calls})"
                )
                score = min(score, self.max_tool_calls / len(tools))
                involved.append(run)
        if problems:
            text = "; ".join(problems)
        else:
            text = (
                f"at most {worst_turns} model calls and {worst_tools} tool calls per agent run "
                f"(max {self.max_llm_calls} and {self.max_tool_calls})"
            )
        return self.result(
            trace,
            score,
            not problems,
            text,
            involved,
            max_llm_calls_seen=worst_turns,
            max_tool_calls_seen=worst_tools,
        )


# --- run_failures ----------------------------------------------------------------------


class RunFailures(Evaluator):
    """Runs that failed: the root agent or workflow span ended in ERROR.

    A handled error inside a run (a tool that raised, a retried model call) does not count:
    only a run whose own span failed. Traces without an agent or workflow root are judged
    by their root span.
    """

    name = "run_failures"
    scope = TRACES
    description = "share of runs whose root agent or workflow span failed"

    def __init__(self, max_rate: float = 0.0) -> None:
        self.max_rate = max_rate

    @classmethod
    def configure(cls, options: Options) -> Evaluator:
        instance = cls(options.number("max_rate", 0.0, minimum=0.0, maximum=1.0))
        options.done()
        return instance

    def evaluate_all(self, traces: Sequence[TraceData], ctx: Context) -> list[Result]:
        failed = [t for t in traces if t.root.status == "error"]
        rate = len(failed) / len(traces) if traces else 0.0
        passed = rate <= self.max_rate
        text = (
            f"{len(failed)} of {_plural(len(traces), 'run')} failed ({_pct(rate)}, max "
            f"{_pct(self.max_rate)})"
        )
        if failed:
            kinds: dict[str, int] = {}
            for t in failed:
                kinds[t.root.error_type or "error"] = kinds.get(t.root.error_type or "error", 0) + 1
            text += ": " + ", ".join(
                f"{k} x{n}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1])
            )
        score = 1.0 - rate
        return [
            Result(
                evaluator=self.name,
                score=score,
                passed=passed,
                explanation=text,
                trace_id=t.trace_id,
                span_id=t.root.span_id,
                details={"error_type": t.root.error_type},
            )
            for t in failed
        ] or [self.result(None, score, passed, text, rate=0.0)]


BUILTINS: dict[str, type[Evaluator]] = {
    cls.name: cls
    for cls in (
        ToolLoops, ToolErrors, LLMErrors, RunFailures, Latency, Tokens, Cost, Truncation, Steps
    )
}  # fmt: skip

DEFAULT_SET: tuple[str, ...] = (
    "run_failures",
    "tool_loops",
    "tool_errors",
    "llm_errors",
    "truncation",
)
"""What runs with no config: checks that need no app-specific budget."""

__all__ = [
    "BUILTINS",
    "DEFAULT_SET",
    "MODEL_TURN_OPERATIONS",
    "Context",
    "Evaluator",
]
