"""Non-streaming Messages calls through the real anthropic SDK: spans and metrics."""

from __future__ import annotations

from typing import Any

import anthropic
import pydantic
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from agentotel.instrumentation.anthropic import extract
from agentotel.testing import Reply, ScriptedModel, ToolCall
from tests.conftest import metric_points
from tests.instrumentation.anthropic.conftest import MODEL, TOOLS, USER, only_span

pytestmark = pytest.mark.usefixtures("instrumented")

START = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "anthropic",
    "gen_ai.request.model": MODEL,
    "server.address": "api.anthropic.test",
    "server.port": 8443,
}


def test_create_whole_span(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(
        Reply(
            "Sunny.",
            input_tokens=10,
            output_tokens=4,
            cached_input_tokens=30,
            cache_creation_input_tokens=5,
        )
    )
    message = client.messages.create(
        model=MODEL, max_tokens=100, messages=USER, stop_sequences=["END"], service_tier="auto"
    )
    assert message.content[0].text == "Sunny."  # type: ignore[union-attr]

    span = only_span(span_exporter)
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert span.instrumentation_scope.name == "agentotel"
    assert span.status.status_code is StatusCode.UNSET
    assert dict(span.attributes) == {
        **START,
        "gen_ai.request.max_tokens": 100,
        "gen_ai.request.stop_sequences": ("END",),
        "anthropic.request.service_tier": "auto",
        "gen_ai.response.id": message.id,
        "gen_ai.response.model": MODEL,
        "gen_ai.response.finish_reasons": ("stop",),
        # Anthropic's input_tokens excludes the cache; the conventions' total includes it.
        "gen_ai.usage.input_tokens": 45,
        "gen_ai.usage.output_tokens": 4,
        "gen_ai.usage.cache_read.input_tokens": 30,
        "gen_ai.usage.cache_creation.input_tokens": 5,
        "anthropic.response.service_tier": "standard",
        "anthropic.request.id": message._request_id,
    }


def test_metrics(client: anthropic.Anthropic, model: ScriptedModel, metric_reader: Any) -> None:
    model.add(Reply("Sunny.", input_tokens=10, output_tokens=4, cached_input_tokens=30))
    client.messages.create(model=MODEL, max_tokens=100, messages=USER)

    points = metric_points(metric_reader)
    (duration,) = points["gen_ai.client.operation.duration"]
    assert dict(duration.attributes) == {**START, "gen_ai.response.model": MODEL}  # type: ignore[attr-defined]
    assert duration.count == 1  # type: ignore[attr-defined]
    usage = {
        p.attributes["gen_ai.token.type"]: p.sum  # type: ignore[attr-defined]
        for p in points["gen_ai.client.token.usage"]
    }
    assert usage == {"input": 40, "output": 4}
    assert "gen_ai.client.operation.time_to_first_chunk" not in points


async def test_async_create(
    aclient: anthropic.AsyncAnthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply("Sunny.", input_tokens=7, output_tokens=2))
    message = await aclient.messages.create(model=MODEL, max_tokens=50, messages=USER)
    span = only_span(span_exporter)
    assert span.name == f"chat {MODEL}"
    assert span.attributes["gen_ai.response.id"] == message.id
    assert span.attributes["gen_ai.usage.input_tokens"] == 7
    assert span.attributes["gen_ai.usage.output_tokens"] == 2


def test_tool_use_and_thinking(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(
        Reply(
            reasoning="Look it up.",
            tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="toolu_1")],
            reasoning_tokens=6,
            output_tokens=20,
        )
    )
    client.messages.create(model=MODEL, max_tokens=100, messages=USER, tools=TOOLS)  # type: ignore[arg-type]
    attrs = only_span(span_exporter).attributes
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_call",)
    assert attrs["gen_ai.usage.reasoning.output_tokens"] == 6
    assert attrs["gen_ai.usage.output_tokens"] == 20
    assert "gen_ai.output.messages" not in attrs  # content is off by default
    assert "gen_ai.tool.definitions" not in attrs


def test_parse(client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any) -> None:
    class Weather(pydantic.BaseModel):
        city: str

    model.add(Reply('{"city": "Paris"}'))
    parsed = client.messages.parse(
        model=MODEL, max_tokens=100, messages=USER, output_format=Weather
    )  # type: ignore[arg-type]
    assert parsed.parsed_output == Weather(city="Paris")
    span = only_span(span_exporter)
    assert span.name == f"chat {MODEL}"
    assert span.attributes["gen_ai.output.type"] == "json"
    assert span.attributes["gen_ai.response.finish_reasons"] == ("stop",)


def test_beta_messages(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply("Beta.", input_tokens=3, output_tokens=1, cached_input_tokens=2))
    message = client.beta.messages.create(
        model=MODEL, max_tokens=10, messages=USER, betas=["x-beta"]
    )  # type: ignore[arg-type]
    span = only_span(span_exporter)
    assert span.name == f"chat {MODEL}"
    assert span.attributes["gen_ai.response.id"] == message.id
    assert span.attributes["gen_ai.usage.input_tokens"] == 5


def test_count_tokens_is_its_own_operation(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any, metric_reader: Any
) -> None:
    result = client.messages.count_tokens(model=MODEL, messages=USER)  # type: ignore[arg-type]
    assert result.input_tokens > 0
    span = only_span(span_exporter)
    assert span.name == f"count_tokens {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert dict(span.attributes) == {
        **START,
        "gen_ai.operation.name": "count_tokens",
        "anthropic.message.count_tokens.input_tokens": result.input_tokens,
        "anthropic.request.id": result._request_id,
    }
    points = metric_points(metric_reader)
    (duration,) = points["gen_ai.client.operation.duration"]
    assert duration.attributes["gen_ai.operation.name"] == "count_tokens"  # type: ignore[attr-defined]
    # Counting consumes no tokens: nothing goes to the usage histogram.
    assert "gen_ai.client.token.usage" not in points


def test_beta_count_tokens(client: anthropic.Anthropic, span_exporter: Any) -> None:
    client.beta.messages.count_tokens(model=MODEL, messages=USER)  # type: ignore[arg-type]
    assert only_span(span_exporter).name == f"count_tokens {MODEL}"


@pytest.mark.parametrize(
    ("status", "error", "error_type"),
    [
        (529, anthropic.OverloadedError, "anthropic.OverloadedError"),
        (429, anthropic.RateLimitError, "anthropic.RateLimitError"),
    ],
)
def test_api_errors(
    client: anthropic.Anthropic,
    model: ScriptedModel,
    span_exporter: Any,
    metric_reader: Any,
    status: int,
    error: type[Exception],
    error_type: str,
) -> None:
    model.add(Reply(status=status))
    with pytest.raises(error) as raised:
        client.messages.create(model=MODEL, max_tokens=10, messages=USER)
    assert raised.value.status_code == status  # type: ignore[attr-defined]
    span = only_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == error_type
    assert [e.name for e in span.events] == ["exception"]
    (duration,) = metric_points(metric_reader)["gen_ai.client.operation.duration"]
    assert duration.attributes["error.type"] == error_type  # type: ignore[attr-defined]


def test_retries_stay_in_one_span(
    make_client: Any, model: ScriptedModel, span_exporter: Any
) -> None:
    client = make_client().with_options(max_retries=2)
    model.add(Reply(status=529, headers={"retry-after-ms": "1"}), Reply("Second try."))
    message = client.messages.create(model=MODEL, max_tokens=10, messages=USER)
    assert message.content[0].text == "Second try."
    span = only_span(span_exporter)
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes["gen_ai.response.finish_reasons"] == ("stop",)


def test_with_raw_response(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply("Raw.", input_tokens=4, output_tokens=1))
    raw = client.messages.with_raw_response.create(model=MODEL, max_tokens=10, messages=USER)
    message = raw.parse()
    assert message.content[0].text == "Raw."  # type: ignore[union-attr]
    attrs = only_span(span_exporter).attributes
    assert attrs["gen_ai.response.id"] == message.id
    assert attrs["gen_ai.usage.input_tokens"] == 4


@pytest.mark.parametrize("malformed", ["fields", True])
def test_malformed_response_degrades(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any, malformed: Any
) -> None:
    """Whatever the SDK does with a broken body (return it or raise), it does the same instrumented."""
    model.add(Reply("x", malformed=malformed))
    try:
        result: Any = client.messages.create(model=MODEL, max_tokens=10, messages=USER)
    except Exception as exc:
        span = only_span(span_exporter)
        assert span.status.status_code is StatusCode.ERROR
        assert span.attributes["error.type"] == extract_error_type(exc)
    else:
        assert result is not None
        span = only_span(span_exporter)
        assert span.name == f"chat {MODEL}"
        assert span.status.status_code is StatusCode.UNSET


def extract_error_type(exc: BaseException) -> str:
    from agentotel.telemetry import error_type_of

    return error_type_of(exc)


def test_forced_extractor_failure_still_returns_the_result(
    client: anthropic.Anthropic,
    model: ScriptedModel,
    span_exporter: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("forced telemetry failure")

    monkeypatch.setenv("AGENTOTEL_STRICT", "0")
    monkeypatch.setattr(extract, "message_response", boom)
    monkeypatch.setattr(extract, "request_attributes", boom)
    model.add(Reply("Still here."))
    message = client.messages.create(model=MODEL, max_tokens=10, messages=USER)
    assert message.content[0].text == "Still here."  # type: ignore[union-attr]
    # agentotel could not start its span, so the SDK's own span is left in place: the call
    # still gets exactly one span, and is untouched either way.
    span = only_span(span_exporter)
    assert span.instrumentation_scope.name == "com.anthropic.sdk.python"


def test_forced_response_failure_ends_the_span(
    client: anthropic.Anthropic,
    model: ScriptedModel,
    span_exporter: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("forced telemetry failure")

    monkeypatch.setenv("AGENTOTEL_STRICT", "0")
    monkeypatch.setattr(extract, "message_response", boom)
    model.add(Reply("Still here."))
    message = client.messages.create(model=MODEL, max_tokens=10, messages=USER)
    assert message.content[0].text == "Still here."  # type: ignore[union-attr]
    assert only_span(span_exporter).name == f"chat {MODEL}"


def test_other_endpoints_are_not_traced_by_agentotel(
    client: anthropic.Anthropic, span_exporter: Any
) -> None:
    with pytest.raises(anthropic.NotFoundError):
        client.models.list()
    # Only the SDK's own span for that call; agentotel adds none.
    (span,) = span_exporter.get_finished_spans()
    assert span.instrumentation_scope.name == "com.anthropic.sdk.python"
    assert span.name == "anthropic.models.list"


@pytest.mark.parametrize(
    ("raw", "mapped"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_call"),
        ("refusal", "content_filter"),
        ("model_context_window_exceeded", "length"),
        ("pause_turn", "stop"),
        ("something_new", "something_new"),
        (None, "stop"),
    ],
)
def test_finish_reason_mapping(raw: Any, mapped: str) -> None:
    assert extract.finish_reason(raw) == mapped


def test_beta_tool_runner_turns_are_children_of_its_span(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    from anthropic import beta_tool

    from tests.conftest import tree

    @beta_tool
    def get_weather(city: str) -> str:
        """Current weather for a city."""
        return f"sunny in {city}"

    model.add(Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]), Reply("Sunny."))
    runner = client.beta.messages.tool_runner(
        model=MODEL, max_tokens=100, messages=USER, tools=[get_weather]
    )  # type: ignore[arg-type]
    assert [message.stop_reason for message in runner] == ["tool_use", "end_turn"]
    # The runner's own invoke_agent and tool spans are the SDK's; each turn has one chat span.
    assert tree(span_exporter.get_finished_spans()) == [
        "anthropic.messages.tool_runner",
        f"  chat {MODEL}",
        "  anthropic.custom_tool_use get_weather",
        f"  chat {MODEL}",
    ]


def test_raw_responses_with_broken_or_unread_bodies(
    client: anthropic.Anthropic, model: ScriptedModel, span_exporter: Any
) -> None:
    model.add(Reply("x", malformed=True), Reply("Streamed later."))
    raw = client.messages.with_raw_response.create(model=MODEL, max_tokens=10, messages=USER)
    assert raw.http_response.status_code == 200
    with client.messages.with_streaming_response.create(
        model=MODEL, max_tokens=10, messages=USER
    ) as response:
        assert response.parse().content[0].text == "Streamed later."  # type: ignore[union-attr]
    spans = span_exporter.get_finished_spans()
    assert [s.name for s in spans] == [f"chat {MODEL}"] * 2
    # The broken body gives request attributes only; the call itself is unaffected.
    assert "gen_ai.response.id" not in spans[0].attributes
