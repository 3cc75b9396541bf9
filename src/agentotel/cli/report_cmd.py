"""``agentotel report``: before/after evidence for a pull request (Markdown or JSON)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register ``report`` on the CLI's subparsers."""
    p = sub.add_parser(
        "report",
        parents=[common],
        help="before/after evidence for a change: verdict, gates, changed traces, deltas",
        description=(
            "Compare two selections of traces (run:ID, run:previous, commit:SHA, since:1h, "
            "START..END, file:PATH), run the gate on each, and write what a pull request "
            "should carry. Exit 0 unless the after side regressed or fails the gate (1)."
        ),
    )
    p.add_argument("--before", required=True, metavar="REF", help="the traces before the change")
    p.add_argument("--after", required=True, metavar="REF", help="the traces after the change")
    p.add_argument(
        "--format", choices=["markdown", "json"], default=None, help="markdown (default)"
    )
    p.add_argument("--out", "-o", metavar="FILE", help="write the report to FILE")
    p.add_argument("--config", metavar="FILE", help="agentotel.toml or pyproject.toml to use")
    p.add_argument("--limit", type=int, metavar="N", help="at most N traces per side (1000)")
    p.set_defaults(handler=run_report)


def run_report(args: argparse.Namespace) -> int:
    from agentotel.cli import CliError
    from agentotel.cli.evals_cmd import build_comparison, load_sides
    from agentotel.evals.builtin import Context
    from agentotel.evals.evidence import Evidence, markdown
    from agentotel.evals.model import Report
    from agentotel.evals.runner import run_evaluators

    cmp_args = argparse.Namespace(
        baseline=args.before,
        candidate=args.after,
        store=args.store,
        config=args.config,
        metric=[],
        limit=args.limit,
    )
    if args.limit is not None and args.limit < 1:
        raise ValueError("--limit must be at least 1")
    config, before, after = load_sides(cmp_args)
    comparison = build_comparison(cmp_args, sides=(config, before, after))
    ctx = Context(prices=config.price_fn())
    evaluators = config.evaluators(None)
    gates = [
        Report(outcomes=run_evaluators(side.traces, evaluators, ctx), traces=side.traces)
        for side in (before, after)
    ]
    evidence = Evidence(before, after, comparison, gates[0], gates[1]).to_dict()
    fmt = args.format or ("json" if args.json else "markdown")
    text = (
        json.dumps(evidence, indent=2, default=str) + "\n" if fmt == "json" else markdown(evidence)
    )
    if args.out:
        try:
            Path(args.out).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot write {args.out}: {exc.strerror or exc}") from None
        sys.stdout.write(f"{args.out}\n")
    else:
        sys.stdout.write(text)
    regressed = evidence["verdict"] == "regressed" or not gates[1].passed
    return 1 if regressed else 0
