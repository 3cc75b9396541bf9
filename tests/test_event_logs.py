"""instrument() creates a LoggerProvider when GenAI events are asked for, and only then."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

SCRIPT = """
import agentotel, openai
from opentelemetry import _logs
from agentotel.testing import Reply, ScriptedModelServer

agentotel.instrument(libraries=["openai"])
with ScriptedModelServer([Reply(text="hi")]) as server:
    client = openai.OpenAI(api_key="x", base_url=server.openai_base_url)
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
print("PROVIDER", type(_logs.get_logger_provider()).__name__, flush=True)
"""


def run(mode: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOTEL_"))}
    env.update({"AGENTOTEL_STORE": "off", "OTEL_LOGS_EXPORTER": "console"})
    if mode:
        env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = mode
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    return done


def records(stdout: str) -> list[dict[str, object]]:
    """The console exporter's JSON documents, one per record."""
    decoder = json.JSONDecoder()
    found: list[dict[str, object]] = []
    index = 0
    while (start := stdout.find("{", index)) != -1:
        record, index = decoder.raw_decode(stdout, start)
        found.append(record)
    return found


def test_events_asked_for_get_a_provider_and_timestamps() -> None:
    before = time.time()
    done = run("EVENT_ONLY")
    assert "PROVIDER LoggerProvider" in done.stdout
    events = [r for r in records(done.stdout) if r.get("event_name")]
    assert [r["event_name"] for r in events] == ["gen_ai.client.inference.operation.details"]
    stamp = str(events[0]["timestamp"])
    assert not stamp.startswith("1970"), stamp
    assert stamp[:4] == time.strftime("%Y", time.gmtime(before))


def test_no_events_no_provider() -> None:
    done = run("SPAN_ONLY")
    assert "PROVIDER ProxyLoggerProvider" in done.stdout
