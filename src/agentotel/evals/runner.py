"""Running evaluators over traces: every evaluator runs, and one that raises fails alone."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from agentotel.evals.builtin import Context
from agentotel.evals.config import Config, load_config
from agentotel.evals.model import Outcome, Report, TraceData
from agentotel.evals.registry import EvaluatorLike
from agentotel.store.model import Span


def run_evaluators(
    traces: Sequence[TraceData], evaluators: Iterable[EvaluatorLike], ctx: Context
) -> list[Outcome]:
    """One outcome per evaluator; an evaluator's exception becomes its failing ``error``."""
    outcomes = []
    for ev in evaluators:
        outcome = Outcome(ev.name, ev.scope)
        try:
            outcome.results = list(ev.evaluate(traces, ctx))
        except Exception as exc:
            outcome.error = f"{type(exc).__name__}: {exc}"
        outcomes.append(outcome)
    return outcomes


def evaluate(
    spans_or_traces: Iterable[Span] | Iterable[TraceData],
    evaluators: Sequence[str | EvaluatorLike | Callable[..., Any]] | None = None,
    config: Config | str | None = None,
    prices: Callable[[str | None, int, int, int, int], float | None] | None = None,
    **options: Any,
) -> Report:
    """Evaluate spans (store records) or traces in memory; the Python face of ``agentotel eval``.

    ``evaluators`` names bundled, entry-point or configured evaluators, or gives
    evaluator objects or plain callables; the default is the config's enabled set.
    ``options`` become the option table of a single named evaluator
    (``evaluate(spans, ["tool_loops"], min_repeats=2)``).
    """
    from agentotel.evals.registry import CallableEvaluator
    from agentotel.evals.source import group

    cfg = config if isinstance(config, Config) else load_config(config) if config else Config()
    items = list(spans_or_traces)
    traces: list[TraceData] = (
        [t for t in items if isinstance(t, TraceData)]
        if items and isinstance(items[0], TraceData)
        else group(s for s in items if isinstance(s, Span))
    )
    built: list[EvaluatorLike] = []
    if evaluators is None:
        built = cfg.evaluators()
    else:
        names = [e for e in evaluators if isinstance(e, str)]
        if options and len(names) != 1:
            raise ValueError("options apply to exactly one named evaluator")
        for e in evaluators:
            if isinstance(e, str):
                if options:
                    cfg.tables[e] = {**cfg.tables.get(e, {}), **options}
                built.append(cfg.build(e))
            elif hasattr(e, "evaluate") and hasattr(e, "name"):
                built.append(e)  # type: ignore[arg-type]
            elif callable(e):
                name = str(getattr(e, "agentotel_name", None) or getattr(e, "__name__", "custom"))
                built.append(CallableEvaluator(name, e))
            else:
                raise TypeError(f"not an evaluator: {e!r}")
    ctx = Context(prices=prices or cfg.price_fn())
    return Report(outcomes=run_evaluators(traces, built, ctx), traces=traces)
