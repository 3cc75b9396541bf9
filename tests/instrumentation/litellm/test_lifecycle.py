"""Instrument / uninstrument, double instrumentation, ownership, failures, discovery, example."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.instrumentation.utils import suppress_instrumentation

import agentotel
from agentotel.instrumentation import _owner
from agentotel.instrumentation.litellm import LiteLLMInstrumentor, extract
from agentotel.testing import Reply
from tests.instrumentation.litellm.conftest import USER, only_span, openai_args

ROOT = Path(__file__).resolve().parents[3]
FUNCTIONS = ("completion", "acompletion", "embedding", "aembedding")


def test_uninstrument_restores_and_double_instrument(
    litellm: Any, tracer_provider: Any, meter_provider: Any, server: Any, span_exporter: Any
) -> None:
    before = [getattr(litellm, name) for name in FUNCTIONS]
    instrumentor = LiteLLMInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    LiteLLMInstrumentor().instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    assert all(getattr(litellm, n) is not b for n, b in zip(FUNCTIONS, before, strict=True))
    litellm.completion(messages=USER, **openai_args(server))
    assert only_span(span_exporter).name == "chat gpt-4o-mini"
    instrumentor.uninstrument()
    assert all(getattr(litellm, n) is b for n, b in zip(FUNCTIONS, before, strict=True))
    litellm.completion(messages=USER, **openai_args(server))
    assert len(span_exporter.get_finished_spans()) == 1


@pytest.mark.usefixtures("instrumented")
def test_suppressed_and_claimed(litellm: Any, server: Any, span_exporter: Any) -> None:
    with suppress_instrumentation():
        litellm.completion(messages=USER, **openai_args(server))
    # A framework that reports the call in its own span (the pydantic-ai rule) claims it.
    token = _owner.claim_sdk_call()
    try:
        litellm.completion(messages=USER, **openai_args(server))
    finally:
        _owner.release_sdk_call(token)
    assert span_exporter.get_finished_spans() == ()
    # The claim does not leak: the openai SDK is traced again after the LiteLLM call.
    litellm.completion(messages=USER, **openai_args(server))
    assert only_span(span_exporter).attributes["gen_ai.provider.name"] == "openai"


@pytest.mark.usefixtures("instrumented")
def test_openai_sdk_traced_alone_after_litellm(
    litellm: Any, server: Any, span_exporter: Any
) -> None:
    import openai

    litellm.completion(messages=USER, **openai_args(server))
    client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test")
    client.chat.completions.create(model="gpt-4o-mini", messages=USER)  # type: ignore[arg-type]
    assert len(span_exporter.get_finished_spans()) == 2


@pytest.mark.usefixtures("instrumented")
def test_forced_failures_still_return_the_result(
    litellm: Any, server: Any, span_exporter: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("forced telemetry failure")

    monkeypatch.setenv("AGENTOTEL_STRICT", "0")
    monkeypatch.setattr(extract, "response_cost", boom)
    server.model.add(Reply("Still here."), Reply("Again."))
    response = litellm.completion(messages=USER, **openai_args(server))
    assert response.choices[0].message.content == "Still here."
    assert len(span_exporter.get_finished_spans()) == 1
    monkeypatch.setattr(extract, "route", boom)
    response = litellm.completion(messages=USER, **openai_args(server))
    assert response.choices[0].message.content == "Again."
    # No LiteLLM span could start; LiteLLM posts through the openai client directly,
    # which the openai instrumentor does not trace, so the call has no span.
    assert len(span_exporter.get_finished_spans()) == 1


def test_agentotel_instrument_discovers_litellm(
    litellm: Any, tracer_provider: Any, meter_provider: Any, server: Any, span_exporter: Any
) -> None:
    handle = agentotel.instrument(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        libraries=["litellm", "openai"],
    )
    try:
        assert handle.names == ["litellm", "openai"]
        litellm.completion(messages=USER, **openai_args(server))
        assert only_span(span_exporter).name == "chat gpt-4o-mini"
    finally:
        agentotel.uninstrument()


def test_instrumentation_dependencies() -> None:
    assert LiteLLMInstrumentor().instrumentation_dependencies() == ("litellm >= 1.50",)


def test_example_runs() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "AGENTOTEL_STRICT": "1"}
    env["AGENTOTEL_STORE"] = "off"
    env.pop("PYTEST_CURRENT_TEST", None)
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    env.pop("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", None)
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "litellm_router.py")],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for text in ("chat gpt-4o-mini", "chat claude-sonnet-4-5", "one span per call: ok"):
        assert text in out, out
