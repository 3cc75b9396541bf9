"""Run agentotel's own benchmarks in turn (``make bench``); none of them is part of the tests.

- ``bench_openai.py``: CPU per OpenAI call added by the instrumentor, paired against the
  uninstrumented call in one process, with agentotel's default pipeline.
- ``bench_export.py``: agentotel's processor + exporter against the SDK's, to one receiver.
- ``bench_store.py``: query latency on a store of many spans (``--spans`` to size it).

The peer comparison has its own command, ``make bench-peers`` (``benchmarks/peers/run.py``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

RUNS = [
    ["bench_openai.py", "--breakdown"],
    ["bench_export.py"],
    ["bench_store.py", "--spans", "200000"],
]


def main() -> int:
    failed = 0
    for script, *args in RUNS:
        print(f"\n=== {script} {' '.join(args)}", flush=True)
        failed |= subprocess.call([sys.executable, str(HERE / script), *args], cwd=HERE.parent)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
