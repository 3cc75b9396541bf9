"""A store recorded by a real agent run (scripted model) with a handled error and a failed run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def failing_store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Runs ``r0`` then ``r1`` of tests/cli/failing_agent.py, 3 traces each: one answered,
    one with a handled tool error, one failed run."""
    folder = tmp_path_factory.mktemp("failing")
    path = folder / "traces.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOTEL_"))}
    env.update(AGENTOTEL_STORE=str(path), PYTHONPATH=str(ROOT / "src"))
    for run_id in ("r0", "r1"):
        done = subprocess.run(
            [sys.executable, str(ROOT / "tests" / "cli" / "failing_agent.py")],
            env={**env, "AGENTOTEL_RUN_ID": run_id},
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr
    return {"store": str(path), "folder": folder}
