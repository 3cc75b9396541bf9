"""Evaluations on traces: score what an agent did, gate on it, and compare before with after.

::

    from agentotel import evals, query

    with query.open() as q:
        spans = [s for t in q.traces(run="last") for s in q.trace(t.trace_id).spans]
    report = evals.evaluate(spans)                  # the default set, or the config's
    assert report.passed, report.explain()

The same machinery backs ``agentotel eval`` and ``agentotel compare`` and the
``agentotel_traces`` pytest fixture. Custom evaluators are plain callables taking a
:class:`TraceData` (see docs/evals.md).
"""

from __future__ import annotations

from agentotel.evals.builtin import BUILTINS, DEFAULT_SET, Context, Evaluator
from agentotel.evals.config import Config, Selection, load_config
from agentotel.evals.errors import ConfigError
from agentotel.evals.model import FAIL, PASS, Outcome, Report, Result, TraceData
from agentotel.evals.registry import ENTRY_POINT_GROUP, CallableEvaluator, evaluator
from agentotel.evals.runner import evaluate, run_evaluators

__all__ = [
    "BUILTINS",
    "DEFAULT_SET",
    "ENTRY_POINT_GROUP",
    "FAIL",
    "PASS",
    "CallableEvaluator",
    "Config",
    "ConfigError",
    "Context",
    "Evaluator",
    "Outcome",
    "Report",
    "Result",
    "Selection",
    "TraceData",
    "evaluate",
    "evaluator",
    "load_config",
    "run_evaluators",
]
