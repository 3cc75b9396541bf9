"""Streams (sync and async) end their span exactly once: exhausted, closed early, errored."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

from agentotel.testing import Reply
from tests.instrumentation.litellm.conftest import USER, anthropic_args, only_span, openai_args

pytestmark = pytest.mark.usefixtures("instrumented")


def test_stream_exhausted(
    litellm: Any, server: Any, span_exporter: Any, metric_reader: Any
) -> None:
    server.model.add(Reply("one two three", input_tokens=9, output_tokens=3))
    stream = litellm.completion(
        messages=USER, stream=True, stream_options={"include_usage": True}, **openai_args(server)
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "one two three"
    attrs = only_span(span_exporter).attributes
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.usage.output_tokens"] == 3
    assert "agentotel.stream.ended_by" not in attrs


def test_stream_closed_early_and_abandoned(litellm: Any, server: Any, span_exporter: Any) -> None:
    server.model.add(Reply("one two three four"), Reply("five six seven eight"))
    stream = litellm.completion(messages=USER, stream=True, **openai_args(server))
    next(stream)
    stream.close()
    dropped = litellm.completion(messages=USER, stream=True, **anthropic_args(server))
    next(dropped)
    del dropped
    gc.collect()
    closed, abandoned = span_exporter.get_finished_spans()
    assert closed.attributes["agentotel.stream.ended_by"] == "closed"
    assert abandoned.attributes["agentotel.stream.ended_by"] == "abandoned"
    assert abandoned.attributes["gen_ai.provider.name"] == "anthropic"


def test_async_stream(litellm: Any, server: Any, span_exporter: Any) -> None:
    server.model.add(Reply("alpha beta"), Reply("gamma delta epsilon"))

    async def run() -> str:
        stream = await litellm.acompletion(messages=USER, stream=True, **anthropic_args(server))
        text = "".join([c.choices[0].delta.content or "" async for c in stream])
        early = await litellm.acompletion(messages=USER, stream=True, **openai_args(server))
        await early.__anext__()
        await early.aclose()
        return text

    assert asyncio.run(run()) == "alpha beta"
    done, closed = span_exporter.get_finished_spans()
    assert done.attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert "agentotel.stream.ended_by" not in done.attributes
    assert closed.attributes["agentotel.stream.ended_by"] == "closed"


def test_stream_error_mid_stream(litellm: Any, server: Any, span_exporter: Any) -> None:
    server.model.add(Reply("one two three four", error_body={"error": {"message": "boom"}}))
    stream = litellm.completion(messages=USER, stream=True, **openai_args(server))
    with pytest.raises(Exception) as info:
        for _chunk in stream:
            pass
    span = only_span(span_exporter)
    assert span.attributes["error.type"].startswith("litellm.")
    assert type(info.value).__module__.startswith("litellm")
