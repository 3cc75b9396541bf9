from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_handwritten_agent_example(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.pop("PYTEST_CURRENT_TEST", None)
    env["AGENTOTEL_STRICT"] = "1"
    env["AGENTOTEL_STORE"] = str(tmp_path / "store")
    env["PYTHONPATH"] = str(ROOT / "src")
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "handwritten_agent.py")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "Answer: Paris is sunny, Oslo is rainy" in out.stdout
    tree = out.stdout.split("Spans:\n", 1)[1].splitlines()
    assert tree[:5] == [
        "invoke_workflow trip-planner",
        "  invoke_agent travel-agent",
        "    plan",
        "      execute_tool search_notes",
        "    call_model [error]",
    ]
    # The tools ran on a thread pool and still nest under the agent.
    assert (
        tree.count("    execute_tool get_weather (linked to its chat span)")
        + tree.count("    execute_tool get_weather")
        == 2
    )
