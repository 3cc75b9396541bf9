"""``agentotel eval`` and ``agentotel compare``: the quality gate and the before/after check.

Exit codes: ``eval`` 0 when every evaluator passes, 1 when one fails (or nothing
matched), 2 for usage and config errors; ``compare`` 0 unless a metric regressed
beyond its tolerance (1). Heavy imports happen inside the handlers, so building
the CLI's parser stays cheap.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from agentotel.evals.compare import Comparison, Side
    from agentotel.evals.config import Config, Selection
    from agentotel.evals.model import Report

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_USAGE = 2


def add_parsers(sub: Any, common: argparse.ArgumentParser, window: argparse.ArgumentParser) -> None:
    """Register ``eval`` and ``compare`` on the CLI's subparsers."""
    p = sub.add_parser(
        "eval",
        parents=[common, window],
        help="evaluate traces against quality gates (exit 1 on failure)",
        description="Run evaluators over stored traces (default: the latest run).",
    )
    p.add_argument(
        "--trace", action="append", default=[], metavar="ID", help="only this trace; repeatable"
    )
    p.add_argument("--commit", metavar="SHA", help="only traces recorded at this commit (prefix)")
    p.add_argument("--config", metavar="FILE", help="agentotel.toml or pyproject.toml to use")
    p.add_argument(
        "--no-config", action="store_true", help="ignore config files: the default gate and options"
    )
    p.add_argument("--file", metavar="FILE", help="evaluate OTLP JSON traces from FILE instead")
    p.add_argument(
        "-e",
        "--evaluator",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this evaluator; repeatable",
    )
    p.add_argument("--limit", type=int, metavar="N", help="at most N traces (1000)")
    p.add_argument(
        "--no-record", action="store_true", help="do not record results as events in the store"
    )
    p.set_defaults(handler=run_eval)

    p = sub.add_parser(
        "compare",
        parents=[common],
        help="compare two sets of traces: per-metric deltas and a verdict",
        description=(
            "Selectors: a run id (run:ID, 'last', 'previous'), a commit (commit:SHA), a time "
            "window (since:1h, or START..END), or an OTLP JSON file (file:PATH)."
        ),
    )
    p.add_argument("--baseline", required=True, metavar="SELECTOR", help="the 'before' traces")
    p.add_argument("--candidate", required=True, metavar="SELECTOR", help="the 'after' traces")
    p.add_argument("--config", metavar="FILE", help="agentotel.toml or pyproject.toml to use")
    p.add_argument(
        "--no-config", action="store_true", help="ignore config files: the default gate and options"
    )
    p.add_argument("--metric", action="append", default=[], metavar="NAME", help="only this metric")
    p.add_argument(
        "--expect",
        choices=["improved", "unchanged", "not-regressed"],
        help="exit 1 unless the verdict (of each --metric, or overall) is this",
    )
    p.add_argument("--limit", type=int, metavar="N", help="at most N traces per side (1000)")
    p.set_defaults(handler=run_compare)


# --- eval ------------------------------------------------------------------------------


def _config(args: argparse.Namespace) -> Config:
    from agentotel.evals.config import Config, load_config

    if getattr(args, "no_config", False):
        if args.config:
            raise ValueError("give --config or --no-config, not both")
        return Config()
    return load_config(args.config)


def _selection(args: argparse.Namespace, config: Config) -> tuple[Selection, bool]:
    """The selection from flags over config; True when it fell back to the latest run."""
    import dataclasses

    sel = dataclasses.replace(config.select, traces=list(config.select.traces))
    for name in ("run", "since", "until", "service", "commit"):
        value = getattr(args, name, None)
        if value:
            setattr(sel, name, value)
    if args.trace:
        sel.traces = list(args.trace)
    if args.limit is not None:
        if args.limit < 1:
            raise ValueError("--limit must be at least 1")
        sel.limit = args.limit
    chosen = (sel.run, sel.since, sel.until, sel.commit, sel.root_name, sel.service)
    if not sel.traces and all(v is None for v in chosen):
        sel.run = "last"
        return sel, True
    return sel, False


def build_report(args: argparse.Namespace) -> tuple[Report, str | Path | None]:
    """The evaluation ``eval`` asked for, unrecorded, and the store it read (None: a file)."""
    from agentotel import query
    from agentotel.cli.errors import CliError
    from agentotel.evals import source
    from agentotel.evals.builtin import Context
    from agentotel.evals.model import Report
    from agentotel.evals.runner import run_evaluators
    from agentotel.query.otlp import OTLPError
    from agentotel.store.factory import display, store_location

    config = _config(args)
    evaluators = config.evaluators(args.evaluator or None)
    sel, latest = _selection(args, config)
    if args.file:
        try:
            traces, truncated = source.from_file(args.file, sel)
        except OSError as exc:
            raise CliError(f"cannot read {args.file}: {exc.strerror or exc}") from None
        except (OTLPError, UnicodeDecodeError) as exc:
            raise CliError(f"{args.file}: {exc}") from None
        src: dict[str, Any] = {"file": args.file}
        store_path = None
    else:
        store_path = store_location(args.store)
        with query.open(store_path) as q:
            if sel.run is not None:
                sel.run = q.resolve_run(sel.run)
            traces, truncated = source.from_store(q, sel)
        src = {"store": display(store_path)}
    if not traces:
        hint = " (the latest run)" if latest else ""
        raise CliError(f"no traces match {source.describe(sel)}{hint}")
    ctx = Context(prices=config.price_fn())
    report = Report(
        outcomes=run_evaluators(traces, evaluators, ctx),
        traces=traces,
        selection=sel.to_dict(),
        source={**src, "config": config.source},
        truncated=truncated,
    )
    return report, store_path


def run_eval(args: argparse.Namespace) -> int:
    from agentotel.cli import render
    from agentotel.evals import record
    from agentotel.store.errors import StoreError

    recorded: dict[str, Any] = {}
    report, store_path = build_report(args)
    if store_path is not None and not args.no_record:
        try:
            recorded["store"] = record.record_in_store(store_path, report)
        except StoreError as exc:
            recorded["store_error"] = str(exc)
            sys.stderr.write(f"agentotel: warning: {exc}\n")
    if record.otlp_configured():
        try:
            recorded["otlp"] = record.export_otlp(report)
        except ImportError:
            recorded["otlp_error"] = "opentelemetry-exporter-otlp-proto-http is not installed"
            sys.stderr.write(
                "agentotel: warning: install opentelemetry-exporter-otlp-proto-http to export "
                "evaluation results over OTLP\n"
            )
        except Exception as exc:
            recorded["otlp_error"] = f"{type(exc).__name__}: {exc}"
            sys.stderr.write(f"agentotel: warning: OTLP export failed: {exc}\n")
    report.recorded = recorded
    if args.json:
        render.dump_json(report.to_dict())
    else:
        sys.stdout.write(format_report(report, render.Style(sys.stdout)) + "\n")
    return EXIT_PASS if report.passed else EXIT_FAIL


def format_report(report: Report, style: Any) -> str:
    """The human report: one row per evaluator, then each failing result's explanation."""
    from agentotel.evals.model import short

    where = report.source.get("file") or report.source.get("store")
    sel = ", ".join(f"{k} {v}" for k, v in report.selection.items() if k != "limit")
    head = f"{len(report.traces)} trace{'s' if len(report.traces) != 1 else ''}"
    lines = [style.bold(f"agentotel eval: {head} ({sel or 'all'}) from {where}")]
    if report.source.get("config"):
        lines.append(style.dim(f"config: {report.source['config']}"))
    if report.truncated:
        lines.append(style.dim("(more traces matched; raise --limit to evaluate them all)"))
    rows = [("EVALUATOR", "RESULT", "SCORE", "SUMMARY")]
    for o in report.outcomes:
        label = "pass" if o.passed else "FAIL"
        score = "-" if o.score is None else f"{o.score:.2f}"
        if o.error:
            summary = f"error: {o.error}"
        elif o.scope == "trace":
            summary = f"{len(o.failed)} of {len(o.results)} traces failed"
        else:
            summary = "; ".join(r.explanation for r in o.results) or "nothing to judge"
        rows.append((o.evaluator, label, score, summary))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for i, row in enumerate(rows):
        text = "  ".join(cell.ljust(widths[j]) for j, cell in enumerate(row[:3])) + "  " + row[3]
        if i == 0:
            text = style.dim(text)
        elif row[1] == "FAIL":
            text = style.red(text)
        lines.append(text.rstrip())
    failures = [(o, r) for o in report.outcomes for r in o.failed]
    if failures:
        lines.append("")
        for o, r in failures:
            where_ = f"trace {short(r.trace_id)}" if r.trace_id else "all traces"
            subject = f" {r.subject}" if r.subject else ""
            lines.append(f"{style.red('FAIL')} {o.evaluator}{subject} [{where_}]: {r.explanation}")
    failed = [o.evaluator for o in report.outcomes if not o.passed]
    lines.append("")
    if failed:
        lines.append(
            style.red(
                f"FAILED: {len(failed)} of {len(report.outcomes)} evaluators ({', '.join(failed)})"
            )
        )
    else:
        lines.append(f"PASSED: all {len(report.outcomes)} evaluators")
    stored = report.recorded.get("store")
    if stored:
        lines.append(style.dim(f"recorded {stored} gen_ai.evaluation.result events in the store"))
    return "\n".join(lines)


# --- compare ---------------------------------------------------------------------------


def _side(q: Any, selector: str, limit: int, config: Config) -> Side:
    """Traces for one selector (see the compare command's description)."""
    from agentotel.cli.errors import CliError
    from agentotel.evals import source
    from agentotel.evals.compare import Side
    from agentotel.evals.config import Selection

    kind, sep, value = selector.partition(":")
    if not sep or kind not in ("run", "commit", "since", "window", "file", "trace"):
        kind, value = "auto", selector
    value = value.strip()
    if not value:
        raise ValueError(f"empty selector {selector!r}")
    if kind == "file":
        traces, _ = source.from_file(value, Selection(limit=limit))
        return Side(selector, traces, f"file {value}")
    if q is None:
        raise ValueError(f"selector {selector!r} needs a store (only file: selectors work without)")
    sel = Selection(limit=limit)
    if kind == "auto":
        kind, value = _guess(q, value)
    if kind == "run":
        value = q.resolve_run(value) or value
        sel.run = value
        text = f"run {value}"
    elif kind == "commit":
        sel.commit = value
        text = f"commit {value}"
    elif kind == "trace":
        sel.traces = [value]
        text = f"trace {value}"
    else:
        start, dots, end = value.partition("..")
        sel.since = start or None
        sel.until = (end or None) if dots else None
        text = f"since {start}" + (f" until {end}" if dots and end else "")
    traces, _ = source.from_store(q, sel)
    if not traces:
        raise CliError(f"no traces match {selector!r}")
    return Side(selector, traces, text)


def _guess(q: Any, value: str) -> tuple[str, str]:
    from agentotel.evals import source

    lowered = value.lower()
    if lowered in ("last", "latest", "previous") or value in source.run_ids(q):
        return "run", value
    if ".." in value:
        return "window", value
    if 7 <= len(value) <= 40 and all(c in "0123456789abcdef" for c in lowered):
        return "commit", value
    try:
        from agentotel.store.settings import parse_duration

        parse_duration(value)
        return "since", value
    except ValueError:
        pass
    raise ValueError(
        f"selector {value!r} is not a run id, commit, time window or file "
        "(use run:ID, commit:SHA, since:1h, START..END or file:PATH)"
    )


def load_sides(args: argparse.Namespace) -> tuple[Config, Side, Side]:
    """The config and both sides' traces for ``args.baseline`` and ``args.candidate``."""
    from agentotel import query
    from agentotel.store.factory import store_location

    config = _config(args)
    limit = getattr(args, "limit", None) or 1000
    needs_store = not (args.baseline.startswith("file:") and args.candidate.startswith("file:"))
    if needs_store:
        with query.open(store_location(args.store)) as q:
            base = _side(q, args.baseline, limit, config)
            cand = _side(q, args.candidate, limit, config)
    else:
        base = _side(None, args.baseline, limit, config)
        cand = _side(None, args.candidate, limit, config)
    return config, base, cand


def build_comparison(
    args: argparse.Namespace, sides: tuple[Config, Side, Side] | None = None
) -> Comparison:
    """The comparison that ``compare`` (and ``view --compare``, ``report``) asked for."""
    from agentotel.evals.builtin import Context
    from agentotel.evals.compare import METRICS, compare
    from agentotel.evals.options import suggest

    metrics = getattr(args, "metric", None) or []
    for name in metrics:
        if name not in METRICS:
            raise ValueError(f"unknown metric {name!r}{suggest(name, list(METRICS))}")
    config, base, cand = sides if sides is not None else load_sides(args)
    cmp = config.compare
    return compare(
        base,
        cand,
        Context(prices=config.price_fn()),
        tolerances=dict(cmp.tolerances),
        default_relative=cmp.default_relative,
        confidence=cmp.confidence,
        metrics=metrics or cmp.metrics,
    )


def run_compare(args: argparse.Namespace) -> int:
    from agentotel.cli import render
    from agentotel.evals.compare import REGRESSED

    result = build_comparison(args)
    if args.json:
        render.dump_json(result.to_dict())
    else:
        sys.stdout.write(format_comparison(result, render.Style(sys.stdout)) + "\n")
    expect = getattr(args, "expect", None)
    if expect is None:
        return EXIT_FAIL if result.verdict == REGRESSED else EXIT_PASS
    verdicts = (
        [d.verdict for d in result.deltas if d.metric.name in args.metric]
        if args.metric
        else [result.verdict]
    )
    met = all(v != REGRESSED if expect == "not-regressed" else v == expect for v in verdicts)
    if not met:
        sys.stderr.write(f"agentotel: expected {expect}, got {', '.join(verdicts)}\n")
    return EXIT_PASS if met else EXIT_FAIL


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "":
        return f"{value * 100:.1f}%"
    if unit == "USD":
        return f"${value:.6f}"
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:g}"
    return f"{value:.2f}"


def format_comparison(result: Comparison, style: Any) -> str:
    lines = [
        style.bold(
            f"agentotel compare: {result.baseline.description} ({len(result.baseline.traces)} "
            f"traces) -> {result.candidate.description} ({len(result.candidate.traces)} traces)"
        )
    ]
    rows = [("METRIC", "BASELINE", "CANDIDATE", "DELTA", "P", "N", "VERDICT")]
    for d in result.deltas:
        unit = d.metric.unit
        rel = d.relative
        if d.delta is None:
            delta = "-"
        elif unit == "":
            delta = f"{d.delta * 100:+.1f} pts"
        else:
            delta = (_num(d.delta, unit) if d.delta < 0 else "+" + _num(d.delta, unit)) + (
                f" ({rel * 100:+.0f}%)" if rel is not None else ""
            )
        verdict = d.verdict
        if d.needed_per_side:
            verdict += f" (~{d.needed_per_side} {'pairs' if d.paired else 'traces/side'} needed)"
        elif d.note:
            verdict += " (mix changed)"
        p = "-" if d.p_value is None else ("<0.001" if d.p_value < 0.001 else f"{d.p_value:.3f}")
        n = f"{d.paired} pairs" if d.paired else f"{d.n_baseline}/{d.n_candidate}"
        rows.append(
            (
                d.metric.name + (f" [{unit}]" if unit not in ("", "calls") else ""),
                _num(d.baseline, unit),
                _num(d.candidate, unit),
                delta,
                p,
                n,
                verdict,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        text = "  ".join(cell.ljust(widths[j]) for j, cell in enumerate(row)).rstrip()
        if i == 0:
            text = style.dim(text)
        elif row[-1] == "regressed":
            text = style.red(text)
        lines.append(text)
    lines.append("")
    note = " (low confidence: fewer than 2 traces on a side)" if result.low_confidence else ""
    if result.pairs:
        lines.append(f"{result.pairs} traces paired by input: per-trace metrics use paired tests")
    lines.append(f"verdict: {result.verdict.upper()}{note}")
    return "\n".join(lines)
