"""examples/langchain_agent.py runs offline and prints the expected trace tree."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "langchain_agent.py"


def test_example_prints_one_trace_tree() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOTEL_"))}
    env["AGENTOTEL_STRICT"] = "1"
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "It is 21°C (69.8°F) and sunny in Paris."
    assert lines[2:] == [
        "invoke_agent weather_agent  [INTERNAL]",
        "  chat gpt-4o-mini  [CLIENT]",
        "  execute_tool get_weather  [INTERNAL]",
        "  chat gpt-4o-mini  [CLIENT]",
        "  execute_tool to_fahrenheit  [INTERNAL]",
        "  chat gpt-4o-mini  [CLIENT]",
    ]
