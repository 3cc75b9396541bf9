"""Automatic function calling: one span per model request, one execute_tool span per function,
and every request's tokens counted exactly once."""

from __future__ import annotations

from typing import Any

import pytest
from google.genai import types
from opentelemetry.trace import StatusCode

from agentotel.testing import Reply, ScriptedModel, ToolCall
from tests.conftest import metric_points, tree
from tests.instrumentation.google_genai.conftest import MODEL, aget_weather, get_weather

pytestmark = pytest.mark.usefixtures("instrumented")

EXPECTED = [f"generate_content {MODEL}", "execute_tool get_weather", f"generate_content {MODEL}"]


def script(model: ScriptedModel, call_id: str | None = None, name: str = "get_weather") -> None:
    model.add(
        Reply(
            tool_calls=[ToolCall(name, {"city": "Paris"}, id=call_id)],
            input_tokens=10,
            output_tokens=2,
        ),
        Reply(text="It is 21C and sunny in Paris.", input_tokens=20, output_tokens=6),
    )


def config(tool: Any = get_weather) -> types.GenerateContentConfig:
    return types.GenerateContentConfig(tools=[tool])


def check(span_exporter: Any, metric_reader: Any, tool_name: str = "get_weather") -> list[Any]:
    spans = sorted(span_exporter.get_finished_spans(), key=lambda s: s.start_time)
    assert [s.name for s in spans] == [EXPECTED[0], f"execute_tool {tool_name}", EXPECTED[2]]
    first, tool, second = spans
    usage = [
        (s.attributes["gen_ai.usage.input_tokens"], s.attributes["gen_ai.usage.output_tokens"])
        for s in (first, second)
    ]
    assert usage == [(10, 2), (20, 6)]
    assert first.attributes["gen_ai.response.finish_reasons"] == ("tool_call",)
    assert second.attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert tool.attributes["gen_ai.operation.name"] == "execute_tool"
    assert tool.attributes["gen_ai.tool.type"] == "function"
    assert tool.attributes["gen_ai.tool.description"] == "Current weather for a city."
    # Streams run the functions as their chunks arrive, before the first stream ends.
    assert first.start_time <= tool.start_time and tool.end_time <= second.start_time
    totals = {
        p.attributes["gen_ai.token.type"]: p.sum
        for p in metric_points(metric_reader)["gen_ai.client.token.usage"]
    }
    assert totals == {"input": 30, "output": 8}  # each request once: 10+20 and 2+6
    return spans


def test_models_generate_content(
    client: Any, model: ScriptedModel, span_exporter: Any, metric_reader: Any
) -> None:
    script(model)
    result = client.models.generate_content(model=MODEL, contents="Weather?", config=config())
    assert result.text == "It is 21C and sunny in Paris."
    check(span_exporter, metric_reader)


def test_chat_send_message(
    client: Any, model: ScriptedModel, span_exporter: Any, metric_reader: Any, tracer_provider: Any
) -> None:
    script(model)
    chat = client.chats.create(model=MODEL, config=config())
    with tracer_provider.get_tracer("app").start_as_current_span("turn"):
        result = chat.send_message("Weather in Paris?")
    assert result.text == "It is 21C and sunny in Paris."
    everything = span_exporter.get_finished_spans()
    assert tree(everything) == ["turn", *("  " + name for name in EXPECTED)]
    span_exporter.clear()
    span_exporter.export([s for s in everything if s.name != "turn"])
    check(span_exporter, metric_reader)


def test_chat_send_message_stream(
    client: Any, model: ScriptedModel, span_exporter: Any, metric_reader: Any
) -> None:
    script(model)
    chat = client.chats.create(model=MODEL, config=config())
    text = "".join(c.text or "" for c in chat.send_message_stream("Weather in Paris?"))
    assert text == "It is 21C and sunny in Paris."
    spans = check(span_exporter, metric_reader)
    assert all(spans[i].attributes["gen_ai.request.stream"] for i in (0, 2))


async def test_async_chat_with_async_tool(
    client: Any, model: ScriptedModel, span_exporter: Any, metric_reader: Any
) -> None:
    script(model, name="aget_weather")
    chat = client.aio.chats.create(model=MODEL, config=config(aget_weather))
    result = await chat.send_message("Weather in Paris?")
    assert result.text == "It is 21C and sunny in Paris."
    check(span_exporter, metric_reader, "aget_weather")


async def test_async_models_with_sync_tool_in_a_thread(
    client: Any, model: ScriptedModel, span_exporter: Any, metric_reader: Any
) -> None:
    script(model)
    result = await client.aio.models.generate_content(
        model=MODEL, contents="Weather?", config=config()
    )
    assert result.text == "It is 21C and sunny in Paris."
    check(span_exporter, metric_reader)


async def test_async_stream_with_tools(
    client: Any, model: ScriptedModel, span_exporter: Any, metric_reader: Any
) -> None:
    script(model)
    stream = await client.aio.models.generate_content_stream(
        model=MODEL, contents="Weather?", config=config()
    )
    text = "".join([c.text or "" async for c in stream])
    assert text == "It is 21C and sunny in Paris."
    check(span_exporter, metric_reader)


def test_tool_call_id_and_link(
    client: Any, model: ScriptedModel, span_exporter: Any, tracer_provider: Any
) -> None:
    script(model, call_id="call-7")
    with tracer_provider.get_tracer("app").start_as_current_span("turn"):
        client.models.generate_content(model=MODEL, contents="Weather?", config=config())
    spans = [s for s in span_exporter.get_finished_spans() if s.name != "turn"]
    first, tool, _ = sorted(spans, key=lambda s: s.start_time)
    assert tool.attributes["gen_ai.tool.call.id"] == "call-7"
    assert [link.context.span_id for link in tool.links] == [first.context.span_id]


def test_failing_tool(client: Any, model: ScriptedModel, span_exporter: Any) -> None:
    def get_weather(city: str) -> str:
        raise ValueError("no such city")

    script(model)
    result = client.models.generate_content(
        model=MODEL, contents="Weather?", config=config(get_weather)
    )
    # The SDK reports the failure to the model and carries on.
    assert result.text == "It is 21C and sunny in Paris."
    tool = next(s for s in span_exporter.get_finished_spans() if s.name.startswith("execute_tool"))
    assert tool.status.status_code is StatusCode.ERROR
    assert tool.attributes["error.type"] == "ValueError"
    (second,) = [r for r in model_requests(model) if "functionResponse" in str(r)]
    assert "no such city" in str(second)


def model_requests(model: ScriptedModel) -> list[Any]:
    return [r.body for r in model.requests]


def test_afc_disabled_makes_one_request(
    client: Any, model: ScriptedModel, span_exporter: Any
) -> None:
    script(model)
    cfg = types.GenerateContentConfig(
        tools=[get_weather],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )
    client.models.generate_content(model=MODEL, contents="Weather?", config=cfg)
    assert [s.name for s in span_exporter.get_finished_spans()] == [f"generate_content {MODEL}"]
