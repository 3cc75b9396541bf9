"""Time every read command of the ``agentotel`` CLI, end to end, on a 100k-span store.

    python benchmarks/bench_cli.py                       # builds 100,000 spans in a temp dir
    python benchmarks/bench_cli.py --path /tmp/100k.db   # reuses (or builds) this store

Each command runs as its own process (``python -m agentotel.cli``), as a user or a
coding agent would run it, so the times include interpreter start-up; the goal is
under one second each. The store is benchmarks/bench_store.py's synthetic traces.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from agentotel import query
from bench_store import build


def commands(trace: str, span: str) -> list[list[str]]:
    return [
        ["traces"],
        ["traces", "--failed"],
        ["traces", "--status", "error", "--limit", "50"],
        ["traces", "--run", "previous"],
        ["show", trace],
        ["show", span, "--format", "compact"],
        ["show", trace, "--format", "json"],
        ["spans", "--status", "error", "--tool", "search"],
        ["spans", "--where", "gen_ai.tool.name~weather", "--limit", "20"],
        ["spans", "--where", "operation!=invoke_agent", "--limit", "20"],
        ["spans", "--where", "no.such.key=1"],
        ["spans", "--run", "nope"],
        ["stats", "--by", "run"],
        ["stats", "--by", "tool"],
        ["stats", "--by", "error_type"],
        ["stats", "--by", "model", "--run", "last"],
        ["sql", "SELECT sum(cost_usd) FROM span_costs"],
        ["schema"],
        ["eval", "--run", "last", "--limit", "200", "--no-record"],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--path", help="store file (default: a temp dir)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="agentotel-bench-cli-"))
    path = Path(args.path) if args.path else folder / "traces.db"
    if not path.exists():
        seconds = build(path, args.spans)
        print(f"built {args.spans:,} spans in {seconds:.1f} s")
    with query.open(path) as q:
        trace = q.traces(limit=1)[0].trace_id
        span = q.trace(trace).spans[-1].span_id[:10]
    env = {**os.environ, "NO_COLOR": "1", "AGENTOTEL_STORE": str(path)}
    print(f"{'command':<60} {'best of ' + str(args.repeat):>10}  exit")
    for argv in commands(trace, span):
        best = float("inf")
        code = 0
        for _ in range(args.repeat):
            began = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "agentotel.cli", *argv], env=env, capture_output=True
            )
            best = min(best, time.perf_counter() - began)
            code = done.returncode
        print(f"agentotel {' '.join(argv)[:50]:<50} {best * 1000:8.0f} ms  {code}")
    if not args.path:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
