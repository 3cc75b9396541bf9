from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import openai
import pytest
from openai.resources.chat.completions.completions import AsyncCompletions, Completions
from openai.resources.embeddings import Embeddings
from openai.resources.responses.responses import Responses

from agentotel.instrumentation.openai import OpenAIInstrumentor, extract
from agentotel.instrumentation.openai import stream as stream_module
from agentotel.testing import Reply, ScriptedModel, ToolCall
from tests.instrumentation.openai.conftest import USER

ROOT = Path(__file__).resolve().parents[3]


def originals() -> list[Any]:
    return [
        vars(Completions)["create"],
        vars(AsyncCompletions)["create"],
        vars(Completions)["parse"],
        vars(Responses)["create"],
        vars(Embeddings)["create"],
    ]


def test_uninstrument_restores_exact_functions(
    tracer_provider: Any, meter_provider: Any, client: openai.OpenAI, span_exporter: Any
) -> None:
    before = originals()
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    assert not any(a is b for a, b in zip(originals(), before))
    instrumentor.uninstrument()
    assert all(a is b for a, b in zip(originals(), before))
    client.chat.completions.create(model="gpt-4o", messages=USER)
    assert span_exporter.get_finished_spans() == ()


def test_double_instrument_is_a_no_op(
    tracer_provider: Any, meter_provider: Any, client: openai.OpenAI, span_exporter: Any
) -> None:
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    OpenAIInstrumentor().instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    try:
        client.chat.completions.create(model="gpt-4o", messages=USER)
        assert len(span_exporter.get_finished_spans()) == 1
    finally:
        instrumentor.uninstrument()
    # Instrument again after uninstrument: still exactly one span per call.
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    try:
        client.chat.completions.create(model="gpt-4o", messages=USER)
        assert len(span_exporter.get_finished_spans()) == 2
    finally:
        instrumentor.uninstrument()


def test_client_created_before_instrument_is_covered(
    tracer_provider: Any, meter_provider: Any, client: openai.OpenAI, span_exporter: Any
) -> None:
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    try:
        client.chat.completions.create(model="gpt-4o", messages=USER)
    finally:
        instrumentor.uninstrument()
    assert len(span_exporter.get_finished_spans()) == 1


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("forced telemetry failure")


def test_forced_telemetry_failure_never_breaks_the_call(
    tracer_provider: Any,
    meter_provider: Any,
    model: ScriptedModel,
    client: openai.OpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every extractor raises; every API still returns the SDK's own result."""
    monkeypatch.setenv("AGENTOTEL_STRICT", "0")
    for name in dir(extract):
        if (
            callable(getattr(extract, name))
            and not name.startswith("__")
            and name not in ("field", "given", "Any", "Mapping")
        ):
            monkeypatch.setattr(extract, name, _boom)
    monkeypatch.setattr(stream_module.ChatAccumulator, "feed", _boom)
    monkeypatch.setattr(stream_module.ChatAccumulator, "finish", _boom)
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider, capture_content=True
    )
    try:
        model.add(Reply(text="still works"))
        result = client.chat.completions.create(model="gpt-4o", messages=USER)
        assert result.choices[0].message.content == "still works"
        model.add(Reply(text="stream works", chunks=3))
        text = "".join(
            c.choices[0].delta.content or ""
            for c in client.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
            if c.choices
        )
        assert text == "stream works"
        model.add(Reply(tool_calls=[ToolCall("f", {})]))
        assert client.responses.create(model="gpt-4.1", input="x").output[0].type == "function_call"
        model.add(Reply())
        assert client.embeddings.create(model="e", input="x").data
        with pytest.raises(openai.RateLimitError):
            model.add(Reply(status=429))
            client.chat.completions.create(model="gpt-4o", messages=USER)
    finally:
        instrumentor.uninstrument()


def _run(code: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **env, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}
    full_env.pop("PYTEST_CURRENT_TEST", None)
    return subprocess.run(
        [*args, "-c", textwrap.dedent(code)]
        if args
        else [sys.executable, "-c", textwrap.dedent(code)],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


APP = """
    import httpx2, openai
    from agentotel.testing import Reply, ScriptedModel, mock_transport
    client = openai.OpenAI(api_key="k", http_client=httpx2.Client(transport=mock_transport(ScriptedModel([Reply(text="hi")]))))
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
"""


def test_agentotel_instrument_sets_up_everything(tmp_path: Path) -> None:
    code = (
        textwrap.dedent("""
        import sys, agentotel
        from opentelemetry import trace
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        assert "openai" not in sys.modules
        handle = agentotel.instrument()
        assert agentotel.instrument() is handle
        assert "openai" in handle.names, handle.names
        assert "openai" not in sys.modules  # patched lazily, on import
        memory = InMemorySpanExporter()
        trace.get_tracer_provider().add_span_processor(SimpleSpanProcessor(memory))
    """)
        + textwrap.dedent(APP)
        + textwrap.dedent("""
        (span,) = memory.get_finished_spans()
        print(span.name, span.resource.attributes["service.name"])
        agentotel.uninstrument()
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
        assert len(memory.get_finished_spans()) == 1
    """)
    )
    result = _run(code, {"OTEL_SERVICE_NAME": "demo-svc", "AGENTOTEL_STORE": "off"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "chat gpt-4o demo-svc"


def test_disabled_instrumentations_are_honoured() -> None:
    code = """
        import agentotel
        handle = agentotel.instrument()
        print(handle.names)
    """
    result = _run(
        code,
        {"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "agentotel_openai", "AGENTOTEL_STORE": "off"},
    )
    assert result.returncode == 0, result.stderr
    assert "'openai'" not in result.stdout


def test_opentelemetry_instrument_loads_the_entry_point(tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    setup = textwrap.dedent("""
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        memory = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(memory))
        trace.set_tracer_provider(provider)
    """)
    script.write_text(
        setup + textwrap.dedent(APP) + "print([s.name for s in memory.get_finished_spans()])\n"
    )
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}",
        "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    result = subprocess.run(
        [str(bin_dir / "opentelemetry-instrument"), sys.executable, str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['chat gpt-4o']"
