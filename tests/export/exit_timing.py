"""Time how long an instrumented subprocess takes to exit against a faulty endpoint."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from tests.export.faults import FaultServer

ROOT = Path(__file__).resolve().parents[2]


def exit_seconds(
    kind: str, env: Mapping[str, str] | None = None, spans: int = 100
) -> tuple[float, str]:
    """Seconds from the child's last statement to its exit, and its stderr."""
    server = FaultServer(kind)
    try:
        child_env = {
            k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOTEL_"))
        }
        child_env.update(
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": server.url,
                "AGENTOTEL_STORE": "off",
                "PYTHONPATH": str(ROOT),
            }
        )
        child_env.update(env or {})
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.export.exit_app", str(spans)],
            cwd=ROOT,
            env=child_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        line = proc.stdout.readline()
        started = time.monotonic()
        _, err = proc.communicate(timeout=120)
        elapsed = time.monotonic() - started
        assert line.strip() == "END", (line, err)
        return elapsed, err
    finally:
        server.close()


if __name__ == "__main__":
    for kind in sys.argv[1:] or ["down", "hang", "429", "slow"]:
        seconds, err = exit_seconds(kind)
        print(f"{kind:5} {seconds:6.2f} s  stderr lines: {len(err.splitlines())}")
