"""The pytest plugin, run in a separate pytest process the way users run it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

INNER = '''
import json

import httpx2
import openai
import pytest
from opentelemetry import trace

import agentotel
from agentotel.testing import Reply, ScriptedModel, ToolCall, mock_transport


def model(remember):
    def reply(body, api):
        if remember and any(m.get("role") == "tool" for m in body["messages"]):
            return Reply(text="shipped")
        return Reply(tool_calls=[ToolCall("lookup_order", {"order_id": "1042"})])
    transport = mock_transport(ScriptedModel(reply))
    return openai.OpenAI(api_key="x", base_url="http://m/v1", max_retries=0,
                         http_client=httpx2.Client(transport=transport))


@agentotel.tool
def lookup_order(order_id):
    """Order status."""
    return {"status": "shipped"}


@agentotel.agent(name="support")
def agent(client, remember):
    messages = [{"role": "user", "content": "where is 1042?"}]
    for _ in range(5):
        message = client.chat.completions.create(model="gpt-4o-mini", messages=messages).choices[0].message
        if not message.tool_calls:
            return message.content
        for call in message.tool_calls:
            with agentotel.tool_call(call.id):
                result = lookup_order(**json.loads(call.function.arguments))
            if remember:
                messages.append(message.model_dump(exclude_none=True))
                messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})
    return "gave up"


@pytest.mark.agentotel(capture_content=True, libraries=["openai"])
def test_fixed_agent(agentotel_traces):
    assert agent(model(True), True) == "shipped"
    agentotel_traces.assert_tool_used("lookup_order", times=1)
    agentotel_traces.assert_tool_not_used("refund")
    agentotel_traces.assert_no_loops()
    agentotel_traces.assert_tokens_under(10_000)
    agentotel_traces.assert_passes()
    trace_ = agentotel_traces.trace()
    assert trace_.root.agent_name == "support"
    assert [s.operation for s in agentotel_traces.llm_calls()] == ["chat", "chat"]
    assert agentotel_traces.tokens()["total"] > 0
    assert agentotel.current() is not None


@pytest.mark.agentotel(capture_content=True, libraries=["openai"])
def test_looping_agent_is_caught(agentotel_traces):
    assert agent(model(False), False) == "gave up"
    with pytest.raises(AssertionError, match="lookup_order called 5 times with the same arguments"):
        agentotel_traces.assert_no_loops()
    report = agentotel_traces.evaluate("steps", max_llm_calls=3)
    assert not report.passed
    with pytest.raises(AssertionError, match="expected lookup_order to run 1 times, it ran 5"):
        agentotel_traces.assert_tool_used("lookup_order", times=1)


@pytest.mark.agentotel(libraries=["openai"])
def test_without_content_loops_are_judged_on_names(agentotel_traces):
    agent(model(False), False)
    report = agentotel_traces.evaluate("tool_loops", min_repeats_without_arguments=5)
    assert not report.passed
    assert "arguments not captured" in report.explain()


def test_nothing_leaks_between_tests():
    # The fixture instrumented on its own providers and undid it afterwards.
    assert agentotel.current() is None
    assert type(trace.get_tracer_provider()).__name__.startswith("Proxy")


def test_an_existing_instrumentation_is_reused(agentotel_traces_outer):
    assert agentotel_traces_outer.instrumentation is agentotel.current()
    agent(model(True), True)
    assert len(agentotel_traces_outer.tool_calls("lookup_order")) == 1


@pytest.fixture
def agentotel_traces_outer(request):
    from opentelemetry.sdk.trace import TracerProvider

    handle = agentotel.instrument(tracer_provider=TracerProvider(), libraries=["openai"])
    try:
        yield request.getfixturevalue("agentotel_traces")
    finally:
        handle.uninstrument()
'''


def test_plugin_in_a_real_pytest_run(tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(INNER), encoding="utf-8")
    registered = any(ep.value == "agentotel.pytest_plugin" for ep in entry_points(group="pytest11"))
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)]
    if not registered:
        args[3:3] = ["-p", "agentotel.pytest_plugin"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOTEL_"))}
    proc = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "5 passed" in proc.stdout


def test_importing_the_plugin_imports_nothing_heavy() -> None:
    code = (
        "import sys, agentotel.pytest_plugin as p; "
        "heavy = [m for m in ('opentelemetry', 'agentotel.evals', 'openai') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    # agentotel/__init__ itself imports the SDK; the plugin module must add no evals machinery.
    assert "agentotel.evals" not in out.stdout and "openai" not in out.stdout, out.stdout
