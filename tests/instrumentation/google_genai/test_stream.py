"""Streams end their span exactly once: exhausted, closed early, errored or abandoned."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest
from google.genai import errors
from opentelemetry.trace import StatusCode

from agentotel.testing import Reply, ScriptedModel, ToolCall
from tests.conftest import metric_points
from tests.instrumentation.google_genai.conftest import MODEL, only_span

pytestmark = pytest.mark.usefixtures("instrumented")

MID_STREAM_ERROR = {"error": {"code": 500, "message": "backend died", "status": "INTERNAL"}}


def test_stream_exhausted(
    client: Any, model: ScriptedModel, span_exporter: Any, metric_reader: Any
) -> None:
    model.add(Reply(text="one two three four", input_tokens=9, output_tokens=4, reasoning_tokens=2))
    chunks = list(client.models.generate_content_stream(model=MODEL, contents="Count"))
    assert "".join(c.text or "" for c in chunks) == "one two three four"
    span = only_span(span_exporter)
    assert span.name == f"generate_content {MODEL}"
    attrs = span.attributes
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.response.id"] == chunks[0].response_id
    assert attrs["gen_ai.response.model"] == MODEL
    assert attrs["gen_ai.usage.input_tokens"] == 9
    assert attrs["gen_ai.usage.output_tokens"] == 6
    assert attrs["gen_ai.usage.reasoning.output_tokens"] == 2
    assert "agentotel.stream.ended_by" not in attrs
    points = metric_points(metric_reader)
    assert len(points["gen_ai.client.operation.time_to_first_chunk"]) == 1
    assert len(points["gen_ai.client.operation.time_per_output_chunk"]) == 1


def test_stream_function_call(client: Any, model: ScriptedModel, span_exporter: Any) -> None:
    model.add(Reply(text="Let me check.", tool_calls=[ToolCall("lookup", {"q": "x"}, id="c1")]))
    list(client.models.generate_content_stream(model=MODEL, contents="Look it up"))
    assert only_span(span_exporter).attributes["gen_ai.response.finish_reasons"] == ("tool_call",)


def test_stream_closed_early(client: Any, model: ScriptedModel, span_exporter: Any) -> None:
    model.add(Reply(text="a b c d e f g h"))
    stream = client.models.generate_content_stream(model=MODEL, contents="Go")
    assert next(stream).text == "a "
    assert span_exporter.get_finished_spans() == ()
    stream.close()
    span = only_span(span_exporter)
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes["agentotel.stream.ended_by"] in ("closed", "abandoned")


def test_stream_abandoned(client: Any, model: ScriptedModel, span_exporter: Any) -> None:
    model.add(Reply(text="a b c d e f g h"))
    stream = client.models.generate_content_stream(model=MODEL, contents="Go")
    next(stream)
    del stream
    gc.collect()
    assert only_span(span_exporter).attributes["agentotel.stream.ended_by"] == "abandoned"


def test_stream_error_mid_stream(client: Any, model: ScriptedModel, span_exporter: Any) -> None:
    model.add(Reply(text="a b c d e f", error_body=MID_STREAM_ERROR))
    received = []
    with pytest.raises(errors.ServerError) as caught:
        for chunk in client.models.generate_content_stream(model=MODEL, contents="Go"):
            received.append(chunk)
    assert received and type(caught.value) is errors.ServerError
    span = only_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "google.genai.errors.ServerError"


def test_stream_rejected_before_any_chunk(
    client: Any, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(status=400))
    with pytest.raises(errors.ClientError):
        list(client.models.generate_content_stream(model=MODEL, contents="Go"))
    assert only_span(span_exporter).attributes["error.type"] == "google.genai.errors.ClientError"


def test_stream_never_iterated_ends_when_dropped(client: Any, span_exporter: Any) -> None:
    stream = client.models.generate_content_stream(model=MODEL, contents="Go")
    del stream
    gc.collect()
    # The SDK sends nothing until the stream is read: no request, so no span either.
    assert span_exporter.get_finished_spans() == ()


async def test_async_stream_exhausted(
    client: Any, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(text="async words here", input_tokens=5, output_tokens=3))
    stream = await client.aio.models.generate_content_stream(model=MODEL, contents="Go")
    text = "".join([c.text or "" async for c in stream])
    assert text == "async words here"
    attrs = only_span(span_exporter).attributes
    assert attrs["gen_ai.request.stream"] is True
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (5, 3)


async def test_async_stream_closed_early(
    client: Any, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(text="a b c d e f g h"))
    stream = await client.aio.models.generate_content_stream(model=MODEL, contents="Go")
    async for _chunk in stream:
        break
    await stream.aclose()
    # The SDK's inner generators are finalized by the event loop's async-generator hook.
    for _ in range(5):
        await asyncio.sleep(0)
    gc.collect()
    span = only_span(span_exporter)
    assert span.attributes["agentotel.stream.ended_by"] in ("closed", "abandoned")


async def test_async_stream_error_mid_stream(
    client: Any, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply(text="a b c d e f", error_body=MID_STREAM_ERROR))
    stream = await client.aio.models.generate_content_stream(model=MODEL, contents="Go")
    with pytest.raises(errors.ServerError):
        async for _chunk in stream:
            pass
    assert only_span(span_exporter).status.status_code is StatusCode.ERROR


async def test_async_stream_rejected(client: Any, model: ScriptedModel, span_exporter: Any) -> None:
    model.add(Reply(status=429))
    with pytest.raises(errors.ClientError):
        stream = await client.aio.models.generate_content_stream(model=MODEL, contents="Go")
        async for _chunk in stream:
            pass
    assert only_span(span_exporter).attributes["error.type"] == "google.genai.errors.ClientError"
