"""Raw responses with an unread body, and the caller's errors inside the SDK's ``with`` blocks."""

from __future__ import annotations

import gc
from typing import Any

import anthropic
import pytest
from anthropic.types import Message

from agentotel.testing import Reply, ScriptedModel
from tests.instrumentation.anthropic.conftest import MODEL, USER, only_span

pytestmark = pytest.mark.usefixtures("instrumented")


class CallerError(Exception):
    pass


def test_streaming_response_parse_records_the_message(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply("Hello.", input_tokens=5, output_tokens=2))
    with client.messages.with_streaming_response.create(
        model=MODEL, max_tokens=10, messages=USER
    ) as response:
        message = response.parse()
    assert isinstance(message, Message)
    attrs = only_span(span_exporter).attributes
    assert attrs["gen_ai.response.id"] == message.id
    assert attrs["gen_ai.response.model"] == message.model
    assert attrs["gen_ai.usage.output_tokens"] == 2
    assert list(attrs["gen_ai.response.finish_reasons"]) == ["stop"]


def test_streaming_response_read_then_parse(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply("Hello."))
    with client.messages.with_streaming_response.create(
        model=MODEL, max_tokens=10, messages=USER
    ) as response:
        response.read()
        assert only_span(span_exporter).attributes["gen_ai.response.model"]
    assert response.parse().content[0].text == "Hello."  # type: ignore[union-attr]
    only_span(span_exporter)


def test_raw_stream_parsed_and_drained(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply("Hi there.", output_tokens=3, chunks=3))
    raw = client.messages.with_raw_response.create(
        model=MODEL, max_tokens=10, messages=USER, stream=True
    )
    assert span_exporter.get_finished_spans() == ()
    events = list(raw.parse())
    assert events[-1].type == "message_stop"
    attrs = only_span(span_exporter).attributes
    assert attrs["gen_ai.usage.output_tokens"] == 3
    assert attrs["gen_ai.response.model"]


def test_raw_stream_never_parsed_ends_on_close_once(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply("Hi.", chunks=2))
    raw = client.messages.with_raw_response.create(
        model=MODEL, max_tokens=10, messages=USER, stream=True
    )
    raw.http_response.close()
    raw.http_response.close()
    assert only_span(span_exporter).attributes["gen_ai.request.model"] == MODEL


def test_raw_stream_left_alone_ends_when_collected(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply("Hi.", chunks=2))
    raw = client.messages.with_raw_response.create(
        model=MODEL, max_tokens=10, messages=USER, stream=True
    )
    del raw
    gc.collect()
    assert only_span(span_exporter).attributes["agentotel.stream.ended_by"] == "abandoned"


@pytest.mark.parametrize("parse", [False, True])
def test_caller_error_in_streaming_response_block(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any, parse: bool
) -> None:
    model.add(Reply("Hi.", chunks=2))
    error = CallerError("caller failed")
    with (
        pytest.raises(CallerError) as raised,
        client.messages.with_streaming_response.create(
            model=MODEL, max_tokens=10, messages=USER, stream=True
        ) as response,
    ):
        if parse:
            for _ in response.parse():
                raise error
        raise error
    assert raised.value is error
    assert only_span(span_exporter).attributes["error.type"].endswith(".CallerError")


def test_caller_error_after_drain_is_not_the_calls(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply("Hi.", chunks=2))
    with (
        pytest.raises(CallerError),
        client.messages.with_streaming_response.create(
            model=MODEL, max_tokens=10, messages=USER, stream=True
        ) as response,
    ):
        list(response.parse())
        raise CallerError
    assert "error.type" not in only_span(span_exporter).attributes


@pytest.mark.parametrize("text_stream", [False, True])
def test_caller_error_in_messages_stream(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any, text_stream: bool
) -> None:
    model.add(Reply("Hi there.", chunks=3))
    error = CallerError("caller failed")
    manager = client.messages.stream(model=MODEL, max_tokens=10, messages=USER)
    with pytest.raises(CallerError) as raised, manager as stream:
        for _ in stream.text_stream if text_stream else stream:
            raise error
    assert raised.value is error
    span = only_span(span_exporter)
    assert span.attributes["error.type"].endswith(".CallerError")
    assert span.attributes["gen_ai.usage.input_tokens"] >= 0


async def test_async_streaming_response_and_caller_error(
    aclient: anthropic.AsyncAnthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply("Hello.", output_tokens=2), Reply("Hi.", chunks=2))
    async with aclient.messages.with_streaming_response.create(
        model=MODEL, max_tokens=10, messages=USER
    ) as response:
        message = await response.parse()
    assert only_span(span_exporter).attributes["gen_ai.response.id"] == message.id
    span_exporter.clear()
    with pytest.raises(CallerError):
        async with aclient.messages.stream(model=MODEL, max_tokens=10, messages=USER) as stream:
            async for _ in stream:
                raise CallerError
    assert only_span(span_exporter).attributes["error.type"].endswith(".CallerError")
