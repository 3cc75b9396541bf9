"""Failures: the SDK's exception passes through unchanged and each span says what failed."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from agents import (
    Agent,
    GuardrailFunctionOutput,
    InputGuardrailTripwireTriggered,
    MaxTurnsExceeded,
    OutputGuardrailTripwireTriggered,
    Runner,
    input_guardrail,
    output_guardrail,
)
from opentelemetry.trace import StatusCode

from agentotel import semconv
from agentotel.testing import Reply, ToolCall
from tests.conftest import tree
from tests.instrumentation.openai_agents.conftest import MODEL, broken, by_name

pytestmark = pytest.mark.usefixtures("instrument")


def _error(span: Any) -> str | None:
    assert span.status.status_code is StatusCode.ERROR
    value = span.attributes.get(semconv.ERROR_TYPE)
    return str(value) if value is not None else None


@pytest.mark.parametrize(
    "script", [[Reply(tool_calls=[ToolCall("broken", {}, id="call_b")]), Reply(text="sorry")]]
)
async def test_tool_error_marks_the_tool_span(
    make_model: Any, span_exporter: Any, ends: Any, model_kind: str
) -> None:
    """The SDK reports a failing tool to the model; the run goes on, the tool span fails."""
    agent = Agent(name="solo", tools=[broken], model=make_model())
    result = await Runner.run(agent, "go")
    assert result.final_output == "sorry"
    spans = span_exporter.get_finished_spans()
    get = by_name(spans)
    tool = get("execute_tool broken")
    assert _error(tool) == "ValueError"
    assert tool.attributes[semconv.GEN_AI_TOOL_CALL_ID] == "call_b"
    assert get("invoke_agent solo").status.status_code is StatusCode.UNSET
    assert get("invoke_workflow Agent workflow").status.status_code is StatusCode.UNSET
    ends.assert_all_ended_once()


@pytest.mark.parametrize("script", [[Reply(status=500)]])
async def test_model_error_is_reraised_unchanged(
    openai_instrumentor: bool,
    make_model: Any,
    span_exporter: Any,
    ends: Any,
    model_kind: str,
) -> None:
    agent = Agent(name="solo", model=make_model())
    with pytest.raises(openai.InternalServerError) as raised:
        await Runner.run(agent, "go")
    spans = span_exporter.get_finished_spans()
    assert tree(spans) == [
        "invoke_workflow Agent workflow",
        "  invoke_agent solo",
        f"    chat {MODEL}",
    ]
    get = by_name(spans)
    for name in ("invoke_workflow Agent workflow", "invoke_agent solo", f"chat {MODEL}"):
        assert _error(get(name)) == "openai.InternalServerError"
    # The exception recorded on the root is the very object the caller got.
    event = get("invoke_workflow Agent workflow").events[0]
    assert event.attributes["exception.message"] == str(raised.value)
    ends.assert_all_ended_once()


@pytest.mark.parametrize("script", [[Reply(tool_calls=[ToolCall("add", {"x": 1, "y": 1})])] * 3])
async def test_max_turns_is_a_run_error(
    make_model: Any, span_exporter: Any, ends: Any, model_kind: str
) -> None:
    from tests.instrumentation.openai_agents.conftest import add

    agent = Agent(name="solo", tools=[add], model=make_model())
    with pytest.raises(MaxTurnsExceeded):
        await Runner.run(agent, "go", max_turns=2)
    get = by_name(span_exporter.get_finished_spans())
    assert _error(get("invoke_workflow Agent workflow")) == "agents.MaxTurnsExceeded"
    assert _error(get("invoke_agent solo")) == "agents.MaxTurnsExceeded"
    ends.assert_all_ended_once()


@input_guardrail
async def refuse_input(ctx: Any, agent: Any, input: Any) -> GuardrailFunctionOutput:
    return GuardrailFunctionOutput(output_info="blocked", tripwire_triggered=True)


@input_guardrail
async def allow_input(ctx: Any, agent: Any, input: Any) -> GuardrailFunctionOutput:
    return GuardrailFunctionOutput(output_info="fine", tripwire_triggered=False)


@output_guardrail
async def refuse_output(ctx: Any, agent: Any, output: Any) -> GuardrailFunctionOutput:
    return GuardrailFunctionOutput(output_info="blocked", tripwire_triggered=True)


async def test_input_guardrail_tripwire(
    make_model: Any, span_exporter: Any, ends: Any, model_kind: str
) -> None:
    agent = Agent(name="solo", input_guardrails=[allow_input, refuse_input], model=make_model())
    with pytest.raises(InputGuardrailTripwireTriggered):
        await Runner.run(agent, "go")
    get = by_name(span_exporter.get_finished_spans())
    tripped = get("guardrail refuse_input")
    assert tripped.attributes[semconv.AGENTOTEL_GUARDRAIL_TRIGGERED] is True
    assert tripped.attributes[semconv.AGENTOTEL_GUARDRAIL_NAME] == "refuse_input"
    assert tripped.status.status_code is StatusCode.UNSET  # the guardrail worked
    assert get("guardrail allow_input").attributes[semconv.AGENTOTEL_GUARDRAIL_TRIGGERED] is False
    assert tripped.parent.span_id == get("invoke_agent solo").context.span_id
    expected = "agents.InputGuardrailTripwireTriggered"
    assert _error(get("invoke_workflow Agent workflow")) == expected
    assert _error(get("invoke_agent solo")) == expected
    ends.assert_all_ended_once()


@pytest.mark.parametrize("script", [[Reply(text="secret")]])
async def test_output_guardrail_tripwire(
    make_model: Any, span_exporter: Any, ends: Any, model_kind: str
) -> None:
    agent = Agent(name="solo", output_guardrails=[refuse_output], model=make_model())
    with pytest.raises(OutputGuardrailTripwireTriggered):
        await Runner.run(agent, "go")
    get = by_name(span_exporter.get_finished_spans())
    assert get("guardrail refuse_output").attributes[semconv.AGENTOTEL_GUARDRAIL_TRIGGERED]
    expected = "agents.OutputGuardrailTripwireTriggered"
    assert _error(get("invoke_workflow Agent workflow")) == expected
    ends.assert_all_ended_once()


@pytest.mark.parametrize("script", [[Reply(tool_calls=[ToolCall("fatal", {}, id="call_f")])]])
async def test_tool_error_that_ends_the_run(
    make_model: Any, span_exporter: Any, ends: Any, model_kind: str
) -> None:
    from agents import UserError, function_tool

    @function_tool(failure_error_function=None)
    def fatal() -> str:
        """Fails, and the SDK lets the failure end the run."""
        raise KeyError("gone")

    agent = Agent(name="solo", tools=[fatal], model=make_model())
    with pytest.raises((KeyError, UserError)) as raised:
        await Runner.run(agent, "go")
    get = by_name(span_exporter.get_finished_spans())
    tool = get("execute_tool fatal")
    assert _error(tool) == "KeyError"
    assert tool.attributes[semconv.GEN_AI_TOOL_CALL_ID] == "call_f"
    root_error = _error(get("invoke_workflow Agent workflow"))
    assert root_error is not None and root_error.endswith(type(raised.value).__name__)
    ends.assert_all_ended_once()
