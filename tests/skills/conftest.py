"""A real store for the skills and report tests: the example support agent, buggy then fixed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agentotel import query

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "evals"
CONFIG = EXAMPLE / "agentotel.toml"


@pytest.fixture(scope="session")
def loop_store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run ids ``before`` (the tool loop) and ``after`` (the fix) in one store."""
    folder = tmp_path_factory.mktemp("skills")
    path = folder / "traces.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOTEL_"))}
    env.update(AGENTOTEL_STORE=str(path), PYTHONPATH=str(ROOT / "src"))
    for script, run_id in (("agent_loop.py", "before"), ("agent_fixed.py", "after")):
        done = subprocess.run(
            [sys.executable, str(EXAMPLE / script)],
            env={**env, "AGENTOTEL_RUN_ID": run_id},
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr
    with query.open(path) as q:
        last = q.traces(run="before", limit=1)[0]
    return {"store": path, "folder": folder, "trace": last.trace_id, "commit": last.vcs_revision}
