"""A real store for the view tests: the quickstart example's run plus two imported traces."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agentotel import query, semconv

ROOT = Path(__file__).resolve().parents[2]
INJECTION = '</script><script>document.body.dataset.pwned="1"</script><img src=x onerror="document.body.dataset.pwned=1">'
INJECTION_TRACE = "1f" * 16
BIG_TRACE = "2e" * 16
BIG_SPANS = 5000


def _value(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    return {"stringValue": str(v)}


def _span(
    trace: str,
    n: int,
    parent: int | None,
    name: str,
    start: int,
    dur: int,
    attrs: dict[str, Any],
    error: bool = False,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "traceId": trace,
        "spanId": f"{n + 1:016x}",
        "name": name,
        "kind": 1,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + dur),
        "attributes": [{"key": k, "value": _value(v)} for k, v in attrs.items()],
        "status": {"code": 2, "message": name} if error else {},
    }
    if parent is not None:
        out["parentSpanId"] = f"{parent + 1:016x}"
    return out


def _request(spans: list[dict[str, Any]]) -> dict[str, Any]:
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "view-test"}}]}
    return {
        "resourceSpans": [
            {"resource": resource, "scopeSpans": [{"scope": {"name": "t"}, "spans": spans}]}
        ]
    }


def injection_request(start: int) -> dict[str, Any]:
    """A trace whose name, attributes and captured messages are an HTML/JS injection."""
    messages = [{"role": "user", "parts": [{"type": "text", "content": INJECTION}]}]
    return _request(
        [
            _span(
                INJECTION_TRACE,
                0,
                None,
                "invoke_agent " + INJECTION,
                start,
                5_000_000,
                {
                    semconv.GEN_AI_OPERATION_NAME: semconv.OP_INVOKE_AGENT,
                    semconv.GEN_AI_AGENT_NAME: INJECTION,
                },
            ),
            _span(
                INJECTION_TRACE,
                1,
                0,
                "chat evil",
                start + 1_000_000,
                2_000_000,
                {
                    semconv.GEN_AI_OPERATION_NAME: semconv.OP_CHAT,
                    semconv.GEN_AI_REQUEST_MODEL: "evil",
                    semconv.GEN_AI_INPUT_MESSAGES: json.dumps(messages),
                    "user.note": INJECTION,
                },
                error=True,
            ),
        ]
    )


def big_request(start: int) -> dict[str, Any]:
    """One agent trace of BIG_SPANS spans: chat and tool calls under nested agents."""
    spans = [
        _span(
            BIG_TRACE,
            0,
            None,
            "invoke_agent big",
            start,
            BIG_SPANS * 1_000_000,
            {semconv.GEN_AI_OPERATION_NAME: semconv.OP_INVOKE_AGENT},
        )
    ]
    for n in range(1, BIG_SPANS):
        parent = (n - 1) // 50 * 50 + 1  # the sub-agent that opens this block of 50
        if n % 50 == 1:
            spans.append(
                _span(
                    BIG_TRACE,
                    n,
                    0,
                    f"invoke_agent sub{n}",
                    start + n * 1_000_000,
                    50_000_000,
                    {semconv.GEN_AI_OPERATION_NAME: semconv.OP_INVOKE_AGENT},
                )
            )
            continue
        op = semconv.OP_CHAT if n % 2 else semconv.OP_EXECUTE_TOOL
        spans.append(
            _span(
                BIG_TRACE,
                n,
                parent,
                f"{op} s{n}",
                start + n * 1_000_000,
                900_000,
                {semconv.GEN_AI_OPERATION_NAME: op},
                error=n % 97 == 0,
            )
        )
    return _request(spans)


@pytest.fixture(scope="session")
def view_store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The quickstart example run with content capture, plus the injection and big traces."""
    work = tmp_path_factory.mktemp("view")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true",
    }
    for key in (
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "AGENTOTEL_STORE",
        "OPENAI_API_KEY",
    ):
        env.pop(key, None)
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    store = work / ".agentotel" / "traces.db"
    with query.open(store) as q:
        quick = q.traces(limit=1)[0]
    start = quick.start_ns - 10_000_000_000
    query.import_otlp(injection_request(start), store)
    query.import_otlp(big_request(start - 100_000_000_000), store)
    return {
        "store": store,
        "trace": quick.trace_id,
        "run": quick.run_id,
        "work": work,
        "spans": quick.span_count,
    }
