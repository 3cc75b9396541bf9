"""Instrument / uninstrument cycles, double instrumentation, suppression, the example script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import anthropic._base_client as base
import pytest
from opentelemetry.instrumentation.utils import suppress_instrumentation

from agentotel.instrumentation.anthropic import AnthropicInstrumentor
from tests.instrumentation.anthropic.conftest import MODEL, USER, only_span

ROOT = Path(__file__).resolve().parents[3]


def originals() -> list[Any]:
    return [
        vars(base.SyncAPIClient)["request"],
        vars(base.AsyncAPIClient)["request"],
        vars(base)["start_api_call_span"],
    ]


def test_uninstrument_restores_exact_functions(
    tracer_provider: Any, meter_provider: Any, client: Any, span_exporter: Any
) -> None:
    before = originals()
    instrumentor = AnthropicInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    assert not any(a is b for a, b in zip(originals(), before, strict=True))
    instrumentor.uninstrument()
    assert all(a is b for a, b in zip(originals(), before, strict=True))
    client.messages.create(model=MODEL, max_tokens=10, messages=USER)
    assert only_span(span_exporter).name == "anthropic.messages.create"  # the SDK's own again


def test_double_instrument_is_a_no_op(
    tracer_provider: Any, meter_provider: Any, client: Any, span_exporter: Any
) -> None:
    instrumentor = AnthropicInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    AnthropicInstrumentor().instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider
    )
    try:
        client.messages.create(model=MODEL, max_tokens=10, messages=USER)
        assert only_span(span_exporter).name == f"chat {MODEL}"
    finally:
        instrumentor.uninstrument()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    try:
        client.messages.create(model=MODEL, max_tokens=10, messages=USER)
        assert [s.name for s in span_exporter.get_finished_spans()] == [f"chat {MODEL}"] * 2
    finally:
        instrumentor.uninstrument()


@pytest.mark.usefixtures("instrumented")
def test_suppressed_instrumentation_silences_the_sdk_span_too(
    client: Any, span_exporter: Any
) -> None:
    # Frameworks (pydantic-ai) suppress client instrumentation inside their own chat
    # span; the SDK's native span would duplicate it, so it is suppressed as well.
    with suppress_instrumentation():
        client.messages.create(model=MODEL, max_tokens=10, messages=USER)
    client.messages.create(model=MODEL, max_tokens=10, messages=USER)
    # Suppression is honoured, not leaked: the next call is traced again.
    assert [s.instrumentation_scope.name for s in span_exporter.get_finished_spans()] == [
        "agentotel",
    ]


def test_instrumentation_dependencies() -> None:
    assert AnthropicInstrumentor().instrumentation_dependencies() == ("anthropic >= 0.40",)


def test_example_runs() -> None:
    """The default mode, in a subprocess (keep mode is covered in process: importing the SDK is slow)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "AGENTOTEL_STRICT": "1",
        "AGENTOTEL_STORE": "off",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    env.pop("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", None)
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "anthropic_agent.py")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Agent answer: It is 21°C and sunny in Paris." in out
    for text in ("invoke_agent weather_agent", f"chat {MODEL}", "execute_tool get_weather"):
        assert text in out, out
    assert "one span per call: ok" in out
