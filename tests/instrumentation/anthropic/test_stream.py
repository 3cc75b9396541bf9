"""Streamed Messages: ``stream=True`` and the ``messages.stream()`` helpers end their span once."""

from __future__ import annotations

import gc
from typing import Any

import anthropic
import pytest
from opentelemetry.trace import StatusCode

from agentotel.testing import Reply, ScriptedModel, ToolCall
from tests.conftest import metric_points
from tests.instrumentation.anthropic.conftest import MODEL, TOOLS, USER, only_span

pytestmark = pytest.mark.usefixtures("instrumented")

SCRIPTED = Reply(
    "It is sunny in Paris today.",
    input_tokens=10,
    output_tokens=7,
    cached_input_tokens=20,
    cache_creation_input_tokens=3,
    chunks=4,
)


def test_stream_true_exhausted(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any, metric_reader: Any
) -> None:
    model.add(SCRIPTED)
    stream = client.messages.create(model=MODEL, max_tokens=100, messages=USER, stream=True)
    events = list(stream)
    assert events[0].type == "message_start"
    assert events[-1].type == "message_stop"

    span = only_span(span_exporter)
    assert span.name == f"chat {MODEL}"
    attrs = dict(span.attributes)
    message_id = events[0].message.id  # type: ignore[union-attr]
    assert attrs == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": MODEL,
        "server.address": "api.anthropic.test",
        "server.port": 8443,
        "gen_ai.request.max_tokens": 100,
        "gen_ai.request.stream": True,
        "anthropic.request.id": attrs["anthropic.request.id"],
        "gen_ai.response.id": message_id,
        "gen_ai.response.model": MODEL,
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 33,
        "gen_ai.usage.output_tokens": 7,
        "gen_ai.usage.cache_read.input_tokens": 20,
        "gen_ai.usage.cache_creation.input_tokens": 3,
    }
    assert str(attrs["anthropic.request.id"]).startswith("req_")
    points = metric_points(metric_reader)
    assert len(points["gen_ai.client.operation.time_to_first_chunk"]) == 1
    assert len(points["gen_ai.client.operation.time_per_output_chunk"]) == 1
    usage = {p.attributes["gen_ai.token.type"]: p.sum for p in points["gen_ai.client.token.usage"]}  # type: ignore[attr-defined]
    assert usage == {"input": 33, "output": 7}


async def test_async_stream_true_exhausted(
    aclient: anthropic.AsyncAnthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(SCRIPTED)
    stream = await aclient.messages.create(model=MODEL, max_tokens=100, messages=USER, stream=True)
    kinds = [event.type async for event in stream]
    assert kinds[-1] == "message_stop"
    span = only_span(span_exporter)
    assert span.attributes["gen_ai.usage.input_tokens"] == 33
    assert span.attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert "agentotel.stream.ended_by" not in span.attributes


def test_stream_closed_early(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(SCRIPTED)
    with client.messages.create(model=MODEL, max_tokens=100, messages=USER, stream=True) as stream:
        for event in stream:
            if event.type == "content_block_delta":
                break
        assert span_exporter.get_finished_spans() == ()
    span = only_span(span_exporter)
    assert span.attributes["agentotel.stream.ended_by"] == "closed"
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes["gen_ai.response.id"].startswith("msg_")
    # The stop reason arrives in message_delta, which was never read.
    assert "gen_ai.response.finish_reasons" not in span.attributes


def test_stream_error_event(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    model.add(Reply("partial answer", error_body=error, chunks=3))
    stream = client.messages.create(model=MODEL, max_tokens=100, messages=USER, stream=True)
    with pytest.raises(anthropic.APIStatusError):
        for _ in stream:
            pass
    span = only_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"].startswith("anthropic.")


def test_stream_abandoned(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(SCRIPTED)
    stream = client.messages.create(model=MODEL, max_tokens=100, messages=USER, stream=True)
    next(iter(stream))
    del stream
    gc.collect()
    span = only_span(span_exporter)
    assert span.attributes["agentotel.stream.ended_by"] == "abandoned"


def test_helper_text_stream(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(SCRIPTED)
    with client.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
        text = "".join(stream.text_stream)
    assert text == "It is sunny in Paris today."
    span = only_span(span_exporter)
    assert span.name == f"chat {MODEL}"
    assert span.attributes["gen_ai.request.stream"] is True
    assert span.attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert span.attributes["gen_ai.usage.input_tokens"] == 33
    assert "agentotel.stream.ended_by" not in span.attributes


def test_helper_get_final_message_with_tools(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(
        Reply(
            reasoning="Check.",
            tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="toolu_9")],
        )
    )
    with client.messages.stream(model=MODEL, max_tokens=100, messages=USER, tools=TOOLS) as stream:  # type: ignore[arg-type]
        message = stream.get_final_message()
    assert message.stop_reason == "tool_use"
    span = only_span(span_exporter)
    assert span.attributes["gen_ai.response.id"] == message.id
    assert span.attributes["gen_ai.response.finish_reasons"] == ("tool_call",)


def test_helper_early_exit(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(SCRIPTED)
    with client.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
        for _text in stream.text_stream:
            break
    span = only_span(span_exporter)
    assert span.attributes["agentotel.stream.ended_by"] == "closed"


def test_helper_error_before_stream(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(status=529))
    manager = client.messages.stream(model=MODEL, max_tokens=100, messages=USER)
    with pytest.raises(anthropic.OverloadedError), manager:
        pass
    span = only_span(span_exporter)
    assert span.attributes["error.type"] == "anthropic.OverloadedError"


async def test_async_helper(
    aclient: anthropic.AsyncAnthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(SCRIPTED)
    async with aclient.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
        message = await stream.get_final_message()
    span = only_span(span_exporter)
    assert span.attributes["gen_ai.response.id"] == message.id
    assert span.attributes["gen_ai.usage.output_tokens"] == 7


async def test_async_helper_early_exit(
    aclient: anthropic.AsyncAnthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(SCRIPTED)
    async with aclient.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
        async for _text in stream.text_stream:
            break
    span = only_span(span_exporter)
    assert span.attributes["agentotel.stream.ended_by"] == "closed"


def test_beta_helper(client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any) -> None:
    model.add(SCRIPTED)
    with client.beta.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:  # type: ignore[arg-type]
        message = stream.get_final_message()
    span = only_span(span_exporter)
    assert span.attributes["gen_ai.response.id"] == message.id
    assert span.attributes["gen_ai.usage.input_tokens"] == 33
