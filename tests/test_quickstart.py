"""The demo (`make demo`) runs offline and shows the loop end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quickstart_demo(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    for key in (
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "AGENTOTEL_STORE",
        "OPENAI_API_KEY",
    ):
        env.pop(key, None)
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Agent answer: It is 21°C and sunny in Paris." in out
    tree = [
        line.strip().split("  ")[0]
        for line in out.split("Spans recorded by agentotel:\n")[1].splitlines()[:4]
    ]
    assert [t.strip() for t in tree] == [
        "invoke_agent weather_agent",
        "chat gpt-4o-mini",
        "execute_tool get_weather",
        "chat gpt-4o-mini",
    ]
    assert "tokens in=82 out=17" in out
    # The local store was written and the CLI read it back.
    assert (tmp_path / ".agentotel" / "traces.db").exists()
    assert (
        "$ agentotel traces" in out
        and "invoke_agent weather_agent" in out.split("$ agentotel traces")[1]
    )
    assert "execute_tool get_weather" in out.split("$ agentotel show")[1]
