"""Instrument, uninstrument, instrument twice, the upload option, and never breaking the run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import wrapt
from agents import Runner
from agents.models.openai_responses import OpenAIResponsesModel
from agents.run import AgentRunner
from agents.tracing import get_trace_provider

import agentotel
from agentotel import _safety
from agentotel.instrumentation.openai_agents import OpenAIAgentsInstrumentor
from agentotel.instrumentation.openai_agents import processor as processor_mod
from agentotel.telemetry import TelemetryHandler
from tests.conftest import tree
from tests.instrumentation.openai_agents.test_run import EXPECTED_TREE

ROOT = Path(__file__).resolve().parents[3]


def _processors() -> tuple[Any, ...]:
    return tuple(get_trace_provider()._multi_processor._processors)


def _wrapped(owner: Any, name: str) -> bool:
    return isinstance(vars(owner)[name], wrapt.FunctionWrapper)


async def test_instrument_uninstrument_cycle(
    instrument: OpenAIAgentsInstrumentor, agents: Any, span_exporter: Any, model_kind: str
) -> None:
    triage, _ = agents
    assert _wrapped(AgentRunner, "run")
    assert _wrapped(OpenAIResponsesModel, "get_response")
    instrument.uninstrument()
    assert not _wrapped(AgentRunner, "run")
    assert not _wrapped(OpenAIResponsesModel, "get_response")
    assert not processor_mod.active()
    await Runner.run(triage, "What is 1 + 2?")
    assert span_exporter.get_finished_spans() == ()


async def test_double_instrument_reports_once(
    instrument: OpenAIAgentsInstrumentor,
    tracer_provider: Any,
    agents: Any,
    span_exporter: Any,
    model_kind: str,
) -> None:
    OpenAIAgentsInstrumentor().instrument(tracer_provider=tracer_provider)
    assert sum(p is processor_mod._PROCESSOR for p in _processors()) == 1
    triage, _ = agents
    await Runner.run(triage, "What is 1 + 2?")
    assert tree(span_exporter.get_finished_spans()) == EXPECTED_TREE


def test_upload_keep_leaves_the_sdk_processors(tracer_provider: Any) -> None:
    before = [p for p in _processors() if p is not processor_mod._PROCESSOR]
    instrumentor = OpenAIAgentsInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider)
    try:
        after = _processors()
        assert [p for p in after if p is not processor_mod._PROCESSOR] == before
        assert processor_mod._PROCESSOR in after
    finally:
        instrumentor.uninstrument()


def test_upload_off_replaces_and_restores(tracer_provider: Any) -> None:
    before = [p for p in _processors() if p is not processor_mod._PROCESSOR]
    assert before, "the SDK registers its uploading processor by default"
    instrumentor = OpenAIAgentsInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, upload="off")
    assert _processors() == (processor_mod._PROCESSOR,)
    instrumentor.uninstrument()
    assert [p for p in _processors() if p is not processor_mod._PROCESSOR] == before


def test_upload_rejects_unknown_values(tracer_provider: Any) -> None:
    with pytest.raises(ValueError, match="upload"):
        OpenAIAgentsInstrumentor().instrument(tracer_provider=tracer_provider, upload="maybe")
    OpenAIAgentsInstrumentor().uninstrument()


async def test_found_by_agentotel_instrument(
    tracer_provider: Any, meter_provider: Any, agents: Any, span_exporter: Any, model_kind: str
) -> None:
    handle = agentotel.instrument(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        libraries=["openai_agents"],
        openai_agents_upload="off",
    )
    try:
        assert handle.names == ["openai_agents"]
        assert _processors() == (processor_mod._PROCESSOR,)
        await Runner.run(agents[0], "What is 1 + 2?")
    finally:
        agentotel.uninstrument()
    assert tree(span_exporter.get_finished_spans()) == EXPECTED_TREE


@pytest.mark.parametrize("method", ["workflow", "agent", "tool", "inference"])
async def test_telemetry_failure_keeps_the_result(
    instrument: OpenAIAgentsInstrumentor,
    agents: Any,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    model_kind: str,
) -> None:
    monkeypatch.setenv("AGENTOTEL_STRICT", "0")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("telemetry bug")

    monkeypatch.setattr(TelemetryHandler, method, broken)
    result = await Runner.run(agents[0], "What is 1 + 2?")
    assert result.final_output == "3"
    assert sum(_safety.error_counts.values()) >= 1


async def test_suppressed_instrumentation_reports_nothing(
    instrument: OpenAIAgentsInstrumentor, agents: Any, span_exporter: Any, model_kind: str
) -> None:
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    with suppress_instrumentation():
        await Runner.run(agents[0], "What is 1 + 2?")
    assert span_exporter.get_finished_spans() == ()


def test_instrumenting_before_the_sdk_is_imported() -> None:
    script = """
import sys
from agentotel.instrumentation.openai_agents import OpenAIAgentsInstrumentor
assert "agents" not in sys.modules
from opentelemetry.sdk.trace import TracerProvider
OpenAIAgentsInstrumentor().instrument(tracer_provider=TracerProvider(), upload="off")
import wrapt
from agents.run import AgentRunner
assert isinstance(vars(AgentRunner)["run"], wrapt.FunctionWrapper)
print("patched")
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "patched"


def test_example_runs() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "openai_agents_run.py")],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert out.stdout.splitlines()[-8:] == [
        "invoke_workflow Agent workflow",
        "  invoke_agent weather",
        "    chat gpt-4o",
        "    execute_tool get_weather",
        "    chat gpt-4o",
        "  invoke_agent writer",
        "    chat gpt-4o",
        "spans for 3 model requests: 3 chat spans",
    ]
