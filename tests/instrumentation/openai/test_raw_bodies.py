"""Streamed raw responses: the span ends once however the body is read, left or closed."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from agentotel.testing import Reply, ScriptedModel
from tests.instrumentation.openai.conftest import USER

pytestmark = pytest.mark.usefixtures("instrumented")


def test_raw_stream_read_without_parse(
    client: openai.OpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply("Sunny.", chunks=3))
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o", messages=USER, stream=True
    )
    assert span_exporter.get_finished_spans() == ()
    assert b"".join(raw.http_response.iter_bytes())
    (span,) = span_exporter.get_finished_spans()
    assert span.end_time is not None


@pytest.mark.parametrize("caller_error", [False, True])
def test_streaming_response_left_unfinished_in_block(
    client: openai.OpenAI, model: ScriptedModel, span_exporter: Any, caller_error: bool
) -> None:
    model.add(Reply("Sunny and warm.", chunks=4))

    def read() -> None:
        with client.chat.completions.with_streaming_response.create(
            model="gpt-4o", messages=USER, stream=True
        ) as raw:
            for _chunk in raw.parse():
                if caller_error:
                    raise ValueError("caller blew up")
                break

    if caller_error:
        with pytest.raises(ValueError, match="caller blew up"):
            read()
    else:
        read()
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes["gen_ai.response.id"]
    assert span.attributes["agentotel.stream.ended_by"] == "closed"


def test_responses_stream_caller_error(
    client: openai.OpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply("Sunny and warm.", chunks=4))
    error = ValueError("caller blew up")
    manager = client.responses.stream(model="gpt-4o", input="Weather?")
    with pytest.raises(ValueError) as raised, manager as stream:
        for _event in stream:
            raise error
    assert raised.value is error
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes["error.type"] == "ValueError"


def test_responses_stream_left_in_block_ends_on_exit(
    client: openai.OpenAI, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply("Sunny and warm.", chunks=4))
    with client.responses.stream(model="gpt-4o", input="Weather?") as stream:
        next(iter(stream))
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes["agentotel.stream.ended_by"] == "closed"
