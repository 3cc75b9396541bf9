"""Instrument / uninstrument cycles, double instrumentation, suppression, telemetry failures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import google.genai._extra_utils as extra
import google.genai.models as models
import pytest
from google.genai import errors, types
from opentelemetry.instrumentation.utils import suppress_instrumentation

import agentotel
from agentotel.instrumentation.google_genai import GoogleGenAIInstrumentor, extract
from agentotel.instrumentation.google_genai import stream as stream_module
from agentotel.testing import Reply, ScriptedModel, ToolCall
from tests.instrumentation.google_genai.conftest import MODEL, get_weather, only_span

ROOT = Path(__file__).resolve().parents[3]
METHODS = ("_generate_content", "_generate_content_stream", "_embed_content")
FUNCTIONS = (
    "get_function_response_parts",
    "get_function_response_parts_async",
    "invoke_function_from_dict_args",
    "invoke_function_from_dict_args_async",
)


def originals() -> list[Any]:
    out = [vars(cls)[name] for cls in (models.Models, models.AsyncModels) for name in METHODS]
    return out + [vars(extra)[name] for name in FUNCTIONS]


def test_uninstrument_restores_exact_functions(
    tracer_provider: Any, meter_provider: Any, client: Any, span_exporter: Any
) -> None:
    before = originals()
    instrumentor = GoogleGenAIInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    assert not any(a is b for a, b in zip(originals(), before))
    instrumentor.uninstrument()
    assert all(a is b for a, b in zip(originals(), before))
    client.models.generate_content(model=MODEL, contents="Hi")
    assert span_exporter.get_finished_spans() == ()


def test_double_instrument_is_harmless(
    tracer_provider: Any, meter_provider: Any, client: Any, span_exporter: Any
) -> None:
    instrumentor = GoogleGenAIInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    GoogleGenAIInstrumentor().instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider
    )
    try:
        client.models.generate_content(model=MODEL, contents="Hi")
        assert only_span(span_exporter).name == f"generate_content {MODEL}"
    finally:
        instrumentor.uninstrument()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    try:
        client.models.generate_content(model=MODEL, contents="Hi")
        assert len(span_exporter.get_finished_spans()) == 2
    finally:
        instrumentor.uninstrument()


@pytest.mark.usefixtures("instrumented")
def test_suppressed_instrumentation_is_honoured_and_not_leaked(
    client: Any, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]), Reply(text="ok"))
    with suppress_instrumentation():
        client.models.generate_content(
            model=MODEL, contents="x", config=types.GenerateContentConfig(tools=[get_weather])
        )
    assert span_exporter.get_finished_spans() == ()
    client.models.generate_content(model=MODEL, contents="Hi")
    assert only_span(span_exporter).name == f"generate_content {MODEL}"


def test_instrumentation_dependencies() -> None:
    assert GoogleGenAIInstrumentor().instrumentation_dependencies() == ("google-genai >= 1.0",)


def test_agentotel_instrument_finds_it(
    tracer_provider: Any, meter_provider: Any, client: Any, span_exporter: Any
) -> None:
    handle = agentotel.instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider, libraries=["google_genai"]
    )
    try:
        assert handle.names == ["google_genai"]
        client.models.generate_content(model=MODEL, contents="Hi")
        assert only_span(span_exporter).attributes["gen_ai.provider.name"] == "gcp.gemini"
    finally:
        agentotel.uninstrument()


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("forced telemetry failure")


def test_forced_telemetry_failure_never_breaks_the_call(
    tracer_provider: Any,
    meter_provider: Any,
    model: ScriptedModel,
    client: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every extractor raises; every API still returns the SDK's own result."""
    monkeypatch.setenv("AGENTOTEL_STRICT", "0")
    for name in ("server_and_provider", "request_attributes", "response", "embeddings_response"):
        monkeypatch.setattr(extract, name, _boom)
    monkeypatch.setattr(stream_module.ContentAccumulator, "feed", _boom)
    monkeypatch.setattr(stream_module.ContentAccumulator, "finish", _boom)
    instrumentor = GoogleGenAIInstrumentor()
    instrumentor.instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider, capture_content=True
    )
    try:
        model.add(Reply(text="still works"))
        assert client.models.generate_content(model=MODEL, contents="x").text == "still works"
        model.add(Reply(text="stream works"))
        chunks = client.models.generate_content_stream(model=MODEL, contents="x")
        assert "".join(c.text or "" for c in chunks) == "stream works"
        model.add(Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]), Reply(text="ok"))
        chat = client.chats.create(model=MODEL, config={"tools": [get_weather]})
        assert chat.send_message("x").text == "ok"
        assert client.models.embed_content(model="e", contents="x").embeddings
        model.add(Reply(status=429))
        with pytest.raises(errors.ClientError):
            client.models.generate_content(model=MODEL, contents="x")
    finally:
        instrumentor.uninstrument()


def test_failing_tool_span_start_still_runs_the_tool(
    tracer_provider: Any,
    meter_provider: Any,
    model: ScriptedModel,
    client: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AGENTOTEL_STRICT", "0")
    instrumentor = GoogleGenAIInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    assert instrumentor.handler is not None
    monkeypatch.setattr(instrumentor.handler, "tool", _boom)
    try:
        model.add(Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]), Reply(text="ok"))
        result = client.models.generate_content(
            model=MODEL, contents="x", config=types.GenerateContentConfig(tools=[get_weather])
        )
        assert result.text == "ok"
        request = model.requests[-1].body
        assert "21C and sunny in Paris" in str(request)
    finally:
        instrumentor.uninstrument()


@pytest.mark.parametrize("flags", [(), ("--vertex",)])
def test_example_runs(flags: tuple[str, ...]) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "AGENTOTEL_STRICT": "1",
        "AGENTOTEL_STORE": "off",
    }
    for name in ("PYTEST_CURRENT_TEST", "OTEL_EXPORTER_OTLP_ENDPOINT", "GEMINI_API_KEY"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "google_genai_agent.py"), *flags],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Agent answer: It is 21°C and sunny in Paris." in out
    provider = "gcp.vertex_ai" if flags else "gcp.gemini"
    for text in ("invoke_agent weather_agent", f"[{provider}]", "execute_tool get_weather"):
        assert text in out, out
    assert "one span per request: ok (2 requests, 2860 input tokens in all)" in out
    assert "Warning" not in done.stderr
