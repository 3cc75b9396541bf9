"""The whole loop a coding agent runs on a change, end to end and offline.

1. run the buggy agent (it repeats the same tool call) under run id ``before``;
2. ``agentotel eval`` fails the gate and says why;
3. run the fixed agent under run id ``after``; the gate passes;
4. ``agentotel compare`` says IMPROVED;
5. ``agentotel report`` writes the evidence for the pull request (evidence.md).

Run it from any folder: it keeps its store and report in a temporary folder unless
``AGENTOTEL_STORE`` is set. ``python examples/evals/loop.py``
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "agentotel.toml"


def step(title: str, *cmd: str, env: dict[str, str], expect: int) -> str:
    print(f"\n$ {' '.join(cmd)}    # {title}")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    print(done.stdout.rstrip())
    if done.returncode != expect:
        sys.exit(f"expected exit {expect}, got {done.returncode}: {done.stderr.strip()}")
    return done.stdout


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="agentotel-loop-"))
    store = os.environ.get("AGENTOTEL_STORE") or str(work / "traces.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_EXPORTER_OTLP")}
    env.update(AGENTOTEL_STORE=store, NO_COLOR="1")
    agentotel = [sys.executable, "-m", "agentotel.cli"]
    config = ["--config", str(CONFIG)]

    step(
        "the buggy agent",
        sys.executable,
        str(HERE / "agent_loop.py"),
        env={**env, "AGENTOTEL_RUN_ID": "before"},
        expect=0,
    )
    step(
        "the gate fails: a tool loop",
        *agentotel,
        "eval",
        "--run",
        "before",
        *config,
        env=env,
        expect=1,
    )
    step(
        "the fixed agent",
        sys.executable,
        str(HERE / "agent_fixed.py"),
        env={**env, "AGENTOTEL_RUN_ID": "after"},
        expect=0,
    )
    step("the gate passes", *agentotel, "eval", "--run", "after", *config, env=env, expect=0)
    out = step(
        "did the change help?",
        *agentotel,
        "compare",
        "--baseline",
        "run:before",
        "--candidate",
        "run:after",
        *config,
        env=env,
        expect=0,
    )
    assert "verdict: IMPROVED" in out, out
    evidence = work / "evidence.md"
    step(
        "the evidence for the pull request",
        *agentotel,
        "report",
        "--before",
        "run:before",
        "--after",
        "run:after",
        *config,
        "--out",
        str(evidence),
        env=env,
        expect=0,
    )
    print(f"\nEvidence written to {evidence}:\n")
    print(evidence.read_text(encoding="utf-8").split("### Gate")[0].rstrip())


if __name__ == "__main__":
    main()
