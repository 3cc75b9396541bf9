"""Coexistence with the SDK's own call spans: one span per call in both modes, propagation kept."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind, StatusCode

from agentotel.instrumentation.anthropic import AnthropicInstrumentor, native
from agentotel.instrumentation.anthropic import patch as anthropic_patch
from agentotel.testing import Reply, ScriptedModel
from tests.conftest import metric_points
from tests.instrumentation.anthropic.conftest import MODEL, USER, only_span

SDK_SCOPE = "com.anthropic.sdk.python"


@pytest.fixture
def instrument(
    tracer_provider: Any, meter_provider: Any
) -> Iterator[Callable[..., AnthropicInstrumentor]]:
    instrumentor = AnthropicInstrumentor()

    def start(**kwargs: Any) -> AnthropicInstrumentor:
        instrumentor.instrument(
            tracer_provider=tracer_provider, meter_provider=meter_provider, **kwargs
        )
        return instrumentor

    yield start
    instrumentor.uninstrument()


def traceparent_span_id(model: ScriptedModel, index: int = -1) -> str | None:
    header = model.requests[index].headers.get("traceparent")
    return header.split("-")[2] if header else None


def span_id(span: Any) -> str:
    return format(span.context.span_id, "016x")


# -- off (default) ----------------------------------------------------------------------


def test_off_one_span_and_propagation_names_it(
    instrument: Any, make_client: Any, model: ScriptedModel, span_exporter: Any
) -> None:
    instrument()
    model.add(Reply("Hi."))
    make_client().messages.create(model=MODEL, max_tokens=10, messages=USER)
    span = only_span(span_exporter)
    assert span.instrumentation_scope.name == "agentotel"
    assert traceparent_span_id(model) == span_id(span)


@pytest.mark.parametrize(("mode", "scope"), [("off", "agentotel"), ("keep", SDK_SCOPE)])
def test_clients_created_before_and_after_instrument(
    instrument: Any,
    make_client: Any,
    model: ScriptedModel,
    span_exporter: Any,
    mode: str,
    scope: str,
) -> None:
    before = make_client()
    before.messages.create(model=MODEL, max_tokens=10, messages=USER)  # uninstrumented: native span
    (native_span,) = span_exporter.get_finished_spans()
    assert native_span.name == "anthropic.messages.create"
    assert native_span.instrumentation_scope.name == SDK_SCOPE
    span_exporter.clear()

    instrument(native_spans=mode)
    after = make_client()
    before.messages.create(model=MODEL, max_tokens=10, messages=USER)
    after.messages.create(model=MODEL, max_tokens=10, messages=USER)
    spans = span_exporter.get_finished_spans()
    assert [(s.name, s.instrumentation_scope.name) for s in spans] == [(f"chat {MODEL}", scope)] * 2
    assert [traceparent_span_id(model, i) for i in (-2, -1)] == [span_id(s) for s in spans]


def test_off_respects_the_clients_propagation_option(
    instrument: Any,
    make_client: Any,
    model: ScriptedModel,
    span_exporter: Any,
    tracer_provider: Any,
) -> None:
    instrument()
    client = make_client(open_telemetry={"tracer_provider": tracer_provider, "propagation": False})
    client.messages.create(model=MODEL, max_tokens=10, messages=USER)
    only_span(span_exporter)
    assert "traceparent" not in model.requests[-1].headers


def test_off_with_sdk_telemetry_disabled(
    instrument: Any, make_client: Any, model: ScriptedModel, span_exporter: Any
) -> None:
    instrument()
    make_client(open_telemetry=False).messages.create(model=MODEL, max_tokens=10, messages=USER)
    assert only_span(span_exporter).instrumentation_scope.name == "agentotel"
    # The SDK sends no trace context when its telemetry is off; agentotel does not change that.
    assert "traceparent" not in model.requests[-1].headers


def test_off_keeps_the_conversation_id_the_sdk_would_set(
    instrument: Any, make_client: Any, span_exporter: Any, tracer_provider: Any
) -> None:
    instrument()
    client = make_client(
        open_telemetry={"tracer_provider": tracer_provider, "conversation_id": "conv_7"}
    )
    client.messages.create(model=MODEL, max_tokens=10, messages=USER)
    assert only_span(span_exporter).attributes["gen_ai.conversation.id"] == "conv_7"


def test_env_variable_selects_the_mode(
    instrument: Any, make_client: Any, span_exporter: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(native.NATIVE_SPANS_ENV, "keep")
    instrument()
    make_client().messages.create(model=MODEL, max_tokens=10, messages=USER)
    assert only_span(span_exporter).instrumentation_scope.name == SDK_SCOPE


@pytest.mark.parametrize(
    ("value", "env", "mode"),
    [
        (None, {}, "off"),
        ("keep", {}, "keep"),
        ("KEEP", {}, "keep"),
        (None, {native.NATIVE_SPANS_ENV: "keep"}, "keep"),
        ("off", {native.NATIVE_SPANS_ENV: "keep"}, "off"),
        ("bogus", {}, "off"),
    ],
)
def test_native_mode_parsing(value: Any, env: dict[str, str], mode: str) -> None:
    assert native.native_mode(value, env) == mode


# -- keep ------------------------------------------------------------------------------


def test_keep_adopts_the_sdk_span(
    instrument: Any,
    make_client: Any,
    model: ScriptedModel,
    span_exporter: Any,
    metric_reader: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    instrument(native_spans="keep")
    model.add(Reply("Hi.", input_tokens=10, output_tokens=2, cached_input_tokens=4))
    with caplog.at_level(logging.WARNING):
        message = make_client().messages.create(model=MODEL, max_tokens=10, messages=USER)
    span = only_span(span_exporter)
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert span.instrumentation_scope.name == SDK_SCOPE
    assert span.status.status_code is StatusCode.OK
    attrs = span.attributes
    # agentotel's attributes ...
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.usage.input_tokens"] == 14
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 4
    assert "gen_ai.usage.cache_creation.input_tokens" not in attrs  # zero: no cache use
    assert attrs["gen_ai.response.id"] == message.id
    # ... next to the SDK's own.
    assert attrs["http.response.status_code"] == 200
    assert attrs["anthropic.message.stop_reason"] == "end_turn"
    assert attrs["url.full"] == "http://api.anthropic.test:8443/v1/messages"
    assert traceparent_span_id(model) == span_id(span)
    assert "ended span" not in caplog.text
    (duration,) = metric_points(metric_reader)["gen_ai.client.operation.duration"]
    assert duration.attributes["gen_ai.provider.name"] == "anthropic"  # type: ignore[attr-defined]


def test_keep_under_a_parent_span(
    instrument: Any, make_client: Any, span_exporter: Any, tracer_provider: TracerProvider
) -> None:
    instrument(native_spans="keep")
    with tracer_provider.get_tracer("app").start_as_current_span("agent turn") as parent:
        make_client().messages.create(model=MODEL, max_tokens=10, messages=USER)
    call, app = span_exporter.get_finished_spans()
    assert app.name == "agent turn"
    assert call.parent.span_id == parent.get_span_context().span_id


def test_keep_stream(
    instrument: Any,
    make_client: Any,
    model: ScriptedModel,
    span_exporter: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    instrument(native_spans="keep")
    model.add(Reply("Sunny and warm.", chunks=3, input_tokens=5, cached_input_tokens=1))
    manager = make_client().messages.stream(model=MODEL, max_tokens=10, messages=USER)
    with caplog.at_level(logging.WARNING), manager as stream:
        text = "".join(stream.text_stream)
    assert text == "Sunny and warm."
    span = only_span(span_exporter)
    assert span.instrumentation_scope.name == SDK_SCOPE
    assert span.attributes["gen_ai.usage.input_tokens"] == 6
    assert span.attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert span.attributes["gen_ai.request.stream"] is True
    assert "ended span" not in caplog.text


def test_keep_stream_closed_early(
    instrument: Any,
    make_client: Any,
    model: ScriptedModel,
    span_exporter: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    instrument(native_spans="keep")
    model.add(Reply("Sunny and warm.", chunks=3))
    with caplog.at_level(logging.WARNING):
        stream = make_client().messages.create(
            model=MODEL, max_tokens=10, messages=USER, stream=True
        )
        next(iter(stream))
        stream.close()
    span = only_span(span_exporter)
    assert span.attributes["agentotel.stream.ended_by"] == "closed"
    assert "ended span" not in caplog.text


async def test_keep_async(instrument: Any, make_client: Any, span_exporter: Any) -> None:
    instrument(native_spans="keep")
    await make_client(async_=True).messages.create(model=MODEL, max_tokens=10, messages=USER)
    span = only_span(span_exporter)
    assert span.instrumentation_scope.name == SDK_SCOPE
    assert span.name == f"chat {MODEL}"


def test_keep_error(
    instrument: Any,
    make_client: Any,
    model: ScriptedModel,
    span_exporter: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    instrument(native_spans="keep")
    model.add(Reply(status=529))
    with caplog.at_level(logging.WARNING), pytest.raises(anthropic.OverloadedError):
        make_client().messages.create(model=MODEL, max_tokens=10, messages=USER)
    span = only_span(span_exporter)
    assert span.instrumentation_scope.name == SDK_SCOPE
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "anthropic.OverloadedError"
    assert span.attributes["http.response.status_code"] == 529
    assert "ended span" not in caplog.text


def test_keep_count_tokens(instrument: Any, make_client: Any, span_exporter: Any) -> None:
    instrument(native_spans="keep")
    make_client().messages.count_tokens(model=MODEL, messages=USER)
    span = only_span(span_exporter)
    assert span.name == f"count_tokens {MODEL}"
    assert span.attributes["gen_ai.operation.name"] == "count_tokens"
    assert span.attributes["http.route"] == "/v1/messages/count_tokens"


def test_keep_falls_back_when_the_sdk_has_no_span(
    instrument: Any, make_client: Any, model: ScriptedModel, span_exporter: Any
) -> None:
    instrument(native_spans="keep")
    make_client(open_telemetry=False).messages.create(model=MODEL, max_tokens=10, messages=USER)
    assert only_span(span_exporter).instrumentation_scope.name == "agentotel"


def test_keep_falls_back_when_the_sdk_span_does_not_record(
    instrument: Any, make_client: Any, model: ScriptedModel, span_exporter: Any
) -> None:
    """A client on the (unset, no-op) global provider: agentotel's span, still propagated."""
    instrument(native_spans="keep")
    make_client(open_telemetry={}).messages.create(model=MODEL, max_tokens=10, messages=USER)
    span = only_span(span_exporter)
    assert span.instrumentation_scope.name == "agentotel"
    assert traceparent_span_id(model) == span_id(span)


def test_uninstrument_gives_the_sdk_its_spans_back(
    instrument: Any, make_client: Any, span_exporter: Any
) -> None:
    instrumentor = instrument(native_spans="keep")
    client = make_client()
    instrumentor.uninstrument()
    client.messages.create(model=MODEL, max_tokens=10, messages=USER)
    assert only_span(span_exporter).name == "anthropic.messages.create"


def test_keep_abandoned_stream_and_unread_raw_stream(
    instrument: Any,
    make_client: Any,
    model: ScriptedModel,
    span_exporter: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Whoever ends first, agentotel or the SDK, the span ends once and quietly."""
    instrument(native_spans="keep")
    client = make_client()
    model.add(Reply("One.", chunks=3), Reply("Two.", chunks=3))
    with caplog.at_level(logging.WARNING):
        stream = client.messages.create(model=MODEL, max_tokens=10, messages=USER, stream=True)
        next(iter(stream))
        del stream
        gc.collect()
        with client.messages.with_streaming_response.create(
            model=MODEL, max_tokens=10, messages=USER, stream=True
        ) as response:
            assert b"message_start" in b"".join(response.iter_bytes())
        gc.collect()
    spans = span_exporter.get_finished_spans()
    assert [s.name for s in spans] == [f"chat {MODEL}"] * 2
    assert spans[0].attributes["agentotel.stream.ended_by"] == "abandoned"
    assert "ended span" not in caplog.text


def test_keep_internal_error_leaves_the_sdk_span(
    instrument: Any,
    make_client: Any,
    span_exporter: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("forced telemetry failure")

    monkeypatch.setenv("AGENTOTEL_STRICT", "0")
    monkeypatch.setattr(anthropic_patch._Call, "adopt", boom)
    instrument(native_spans="keep")
    message = make_client().messages.create(model=MODEL, max_tokens=10, messages=USER)
    assert message.content
    span = only_span(span_exporter)
    assert span.name == "anthropic.messages.create"
