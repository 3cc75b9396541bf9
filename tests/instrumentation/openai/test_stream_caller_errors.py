"""A caller's own exception inside a stream's ``with`` block: recorded, and always the one raised."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from agentotel import semconv
from agentotel.testing import Reply, ScriptedModel
from tests.instrumentation.openai.conftest import USER


class CallerError(Exception):
    pass


def test_caller_error_inside_the_block_fails_the_span(
    client: openai.OpenAI, model: ScriptedModel, instrumented: Any, span_exporter: Any
) -> None:
    model.add(Reply(text="hello there"))
    with pytest.raises(CallerError):  # noqa: SIM117 - the block under test
        with client.chat.completions.create(model="gpt-4o", messages=USER, stream=True) as stream:
            for _ in stream:
                raise CallerError("mine")
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes[semconv.ERROR_TYPE] == f"{__name__}.CallerError"


def test_caller_error_wins_over_a_failing_close(
    client: openai.OpenAI,
    model: ScriptedModel,
    instrumented: Any,
    span_exporter: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model.add(Reply(text="hello there"))
    stream = client.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
    real_close = stream.__wrapped__.close

    def failing_close() -> None:
        real_close()
        raise RuntimeError("close failed")

    monkeypatch.setattr(stream.__wrapped__, "close", failing_close)
    with pytest.raises(CallerError), stream:
        raise CallerError("mine")
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes[semconv.ERROR_TYPE] == f"{__name__}.CallerError"


def test_a_failing_close_alone_fails_the_span(
    client: openai.OpenAI,
    model: ScriptedModel,
    instrumented: Any,
    span_exporter: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model.add(Reply(text="hello there"))
    stream = client.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
    real_close = stream.__wrapped__.close

    def failing_close() -> None:
        real_close()
        raise RuntimeError("close failed")

    monkeypatch.setattr(stream.__wrapped__, "close", failing_close)
    with pytest.raises(RuntimeError, match="close failed"):
        stream.close()
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes[semconv.ERROR_TYPE] == "RuntimeError"
