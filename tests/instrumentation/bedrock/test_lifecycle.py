"""Instrument / uninstrument, double instrumentation, suppression, failures, discovery, example."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import botocore.client
import pytest
from opentelemetry.instrumentation.utils import suppress_instrumentation

import agentotel
from agentotel.instrumentation.bedrock import BedrockInstrumentor, extract
from agentotel.testing import Reply
from tests.instrumentation.bedrock.conftest import CLAUDE, USER, only_span

ROOT = Path(__file__).resolve().parents[3]


def original() -> Any:
    return vars(botocore.client.BaseClient)["_make_api_call"]


def test_uninstrument_restores_the_method(
    tracer_provider: Any, meter_provider: Any, client: Any, span_exporter: Any
) -> None:
    before = original()
    instrumentor = BedrockInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    assert original() is not before
    instrumentor.uninstrument()
    assert original() is before
    client.converse(modelId=CLAUDE, messages=USER)
    assert span_exporter.get_finished_spans() == ()


def test_double_instrument_is_a_no_op(
    tracer_provider: Any, meter_provider: Any, client: Any, span_exporter: Any
) -> None:
    before = original()
    instrumentor = BedrockInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    BedrockInstrumentor().instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    try:
        client.converse(modelId=CLAUDE, messages=USER)
        assert only_span(span_exporter).name == f"chat {CLAUDE}"
    finally:
        instrumentor.uninstrument()
    assert original() is before


@pytest.mark.usefixtures("instrumented")
def test_suppressed(client: Any, span_exporter: Any) -> None:
    with suppress_instrumentation():
        client.converse(modelId=CLAUDE, messages=USER)
    assert span_exporter.get_finished_spans() == ()


@pytest.mark.usefixtures("instrumented")
def test_forced_response_failure_still_returns_the_result(
    client: Any, model: Any, span_exporter: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("forced telemetry failure")

    monkeypatch.setenv("AGENTOTEL_STRICT", "0")
    monkeypatch.setattr(extract, "converse_response", boom)
    monkeypatch.setattr(extract, "invoke_response", boom)
    model.add(Reply("Still here."), Reply("Again."))
    response = client.converse(modelId=CLAUDE, messages=USER)
    assert response["output"]["message"]["content"][0]["text"] == "Still here."
    raw = client.invoke_model(modelId="meta.llama3-8b", body='{"prompt": "hi"}')["body"].read()
    assert b"Again." in raw
    assert len(span_exporter.get_finished_spans()) == 2


@pytest.mark.usefixtures("instrumented")
def test_forced_start_failure_still_calls(
    client: Any, model: Any, span_exporter: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("forced telemetry failure")

    monkeypatch.setenv("AGENTOTEL_STRICT", "0")
    monkeypatch.setattr(extract, "converse_attributes", boom)
    model.add(Reply("Still here."))
    response = client.converse(modelId=CLAUDE, messages=USER)
    assert response["output"]["message"]["content"][0]["text"] == "Still here."
    assert span_exporter.get_finished_spans() == ()


def test_agentotel_instrument_discovers_bedrock(
    tracer_provider: Any, meter_provider: Any, client: Any, span_exporter: Any
) -> None:
    handle = agentotel.instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider, libraries=["bedrock"]
    )
    try:
        assert handle.names == ["bedrock"]
        client.converse(modelId=CLAUDE, messages=USER)
        assert only_span(span_exporter).attributes["gen_ai.provider.name"] == "aws.bedrock"
    finally:
        agentotel.uninstrument()


def test_instrumentation_dependencies() -> None:
    assert BedrockInstrumentor().instrumentation_dependencies() == ("botocore >= 1.34",)


def test_example_runs() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "AGENTOTEL_STRICT": "1"}
    env["AGENTOTEL_STORE"] = "off"
    env.pop("PYTEST_CURRENT_TEST", None)
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    env.pop("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", None)
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "bedrock_converse.py")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "It is 21°C and sunny in Paris." in done.stdout
    for text in (f"chat {CLAUDE}", "execute_tool get_weather", "one span per call: ok"):
        assert text in done.stdout, done.stdout
