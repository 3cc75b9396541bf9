from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.trace import SpanKind, StatusCode

from agentotel import _config, semconv
from agentotel.telemetry import TelemetryHandler, error_type_of
from tests.conftest import metric_points


def make(tracer_provider, meter_provider, **kw):  # type: ignore[no-untyped-def]
    return TelemetryHandler(tracer_provider, meter_provider, settings=_config.Settings(**kw))


def test_inference_span_shape_and_metrics(
    tracer_provider, meter_provider, span_exporter, metric_reader
):  # type: ignore[no-untyped-def]
    handler = make(tracer_provider, meter_provider)
    inv = handler.inference("openai", "gpt-4o", server_address="api.openai.com", server_port=443)
    inv.response_model = "gpt-4o-2024-08-06"
    inv.response_id = "r1"
    inv.finish_reasons = ["stop"]
    inv.input_tokens, inv.output_tokens = 10, 3
    inv.cache_read_input_tokens = 4
    inv.stop()
    inv.stop()  # second stop is ignored
    (span,) = span_exporter.get_finished_spans()
    assert span.name == "chat gpt-4o"
    assert span.kind is SpanKind.CLIENT
    attrs = dict(span.attributes or {})
    assert attrs[semconv.GEN_AI_PROVIDER_NAME] == "openai"
    assert attrs[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 4
    assert attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert semconv.GEN_AI_INPUT_MESSAGES not in attrs
    points = metric_points(metric_reader)
    (duration,) = points["gen_ai.client.operation.duration"]
    assert duration.attributes[semconv.GEN_AI_RESPONSE_MODEL] == "gpt-4o-2024-08-06"  # type: ignore[attr-defined]
    assert list(duration.explicit_bounds) == list(semconv.DURATION_BUCKETS)  # type: ignore[attr-defined]
    tokens = {
        p.attributes[semconv.GEN_AI_TOKEN_TYPE]: p.sum for p in points["gen_ai.client.token.usage"]
    }  # type: ignore[attr-defined]
    assert tokens == {"input": 10, "output": 3}


def test_start_attributes_are_visible_to_samplers(tracer_provider, meter_provider):  # type: ignore[no-untyped-def]
    seen = {}

    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Sampler

    class Spy(Sampler):
        def should_sample(
            self,
            parent_context,
            trace_id,
            name,
            kind=None,
            attributes=None,
            links=None,
            trace_state=None,
        ):  # type: ignore[no-untyped-def]
            seen.update(attributes or {})
            return ALWAYS_ON.should_sample(parent_context, trace_id, name, kind, attributes, links)

        def get_description(self) -> str:
            return "spy"

    handler = make(TracerProvider(sampler=Spy()), meter_provider)
    handler.inference("anthropic", "claude", server_address="h", server_port=1).stop()
    assert seen[semconv.GEN_AI_OPERATION_NAME] == "chat"
    assert seen[semconv.GEN_AI_REQUEST_MODEL] == "claude"
    assert seen[semconv.SERVER_PORT] == 1


def test_failure_sets_error_type_and_status(
    tracer_provider, meter_provider, span_exporter, metric_reader
):  # type: ignore[no-untyped-def]
    handler = make(tracer_provider, meter_provider)
    inv = handler.inference("openai", "m")
    inv.fail(TimeoutError("slow"))
    inv.stop()
    (span,) = span_exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes[semconv.ERROR_TYPE] == "TimeoutError"  # type: ignore[index]
    (point,) = metric_points(metric_reader)["gen_ai.client.operation.duration"]
    assert point.attributes[semconv.ERROR_TYPE] == "TimeoutError"  # type: ignore[attr-defined]


def test_error_type_prefers_public_name() -> None:
    import json as json_module

    assert error_type_of(json_module.JSONDecodeError("x", "y", 0)) == "json.JSONDecodeError"
    assert error_type_of("429") == "429"
    assert error_type_of(ValueError()) == "ValueError"


def test_content_on_span_is_json_in_the_conventions_schema(
    tracer_provider, meter_provider, span_exporter
):  # type: ignore[no-untyped-def]
    handler = make(
        tracer_provider,
        meter_provider,
        content=_config.ContentMode.SPAN_ONLY,
        max_content_length=200,
    )
    inv = handler.inference("openai", "m")
    assert inv.capture_content
    inv.input_messages = [{"role": "user", "parts": [{"type": "text", "content": "hi " * 500}]}]
    inv.output_messages = [{"role": "assistant", "parts": [], "finish_reason": "stop"}]
    inv.system_instructions = [{"type": "text", "content": "be brief"}]
    inv.tool_definitions = [{"type": "function", "name": "f"}]
    inv.stop()
    (span,) = span_exporter.get_finished_spans()
    attrs = dict(span.attributes or {})
    messages = json.loads(attrs[semconv.GEN_AI_INPUT_MESSAGES])  # type: ignore[arg-type]
    assert messages[0]["role"] == "user"
    assert len(attrs[semconv.GEN_AI_INPUT_MESSAGES]) <= 200  # type: ignore[arg-type]
    assert attrs[semconv.AGENTOTEL_CONTENT_TRUNCATED] is True
    assert json.loads(attrs[semconv.GEN_AI_SYSTEM_INSTRUCTIONS]) == [
        {"type": "text", "content": "be brief"}
    ]  # type: ignore[arg-type]


def test_content_as_event(tracer_provider, meter_provider, span_exporter):  # type: ignore[no-untyped-def]
    logs = InMemoryLogRecordExporter()
    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    handler = TelemetryHandler(
        tracer_provider,
        meter_provider,
        logger_provider,
        settings=_config.Settings(content=_config.ContentMode.EVENT_ONLY),
    )
    inv = handler.inference("openai", "m")
    inv.input_messages = [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]
    inv.stop()
    (span,) = span_exporter.get_finished_spans()
    assert semconv.GEN_AI_INPUT_MESSAGES not in (span.attributes or {})
    (record,) = logs.get_finished_logs()
    assert record.log_record.event_name == semconv.EVENT_INFERENCE_DETAILS
    assert record.log_record.attributes[semconv.GEN_AI_INPUT_MESSAGES][0]["role"] == "user"  # type: ignore[index]
    assert record.log_record.span_id == span.context.span_id  # type: ignore[union-attr]


def test_no_details_event_for_embeddings(tracer_provider, meter_provider, span_exporter):  # type: ignore[no-untyped-def]
    logs = InMemoryLogRecordExporter()
    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    handler = TelemetryHandler(
        tracer_provider,
        meter_provider,
        logger_provider,
        settings=_config.Settings(content=_config.ContentMode.EVENT_ONLY),
    )
    inv = handler.inference("openai", "text-embedding-3-small", semconv.OP_EMBEDDINGS)
    inv.input_messages = [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]
    inv.stop()
    assert len(span_exporter.get_finished_spans()) == 1
    assert logs.get_finished_logs() == ()  # the details event describes inference only


def test_tool_agent_workflow_spans(tracer_provider, meter_provider, span_exporter):  # type: ignore[no-untyped-def]
    handler = make(tracer_provider, meter_provider, content=_config.ContentMode.SPAN_ONLY)
    with handler.workflow("plan"), handler.agent("researcher", agent_id="a1"):
        chat = handler.inference("openai", "m")
        chat.tool_call_ids = ["call_1"]
        chat.stop()
        tool = handler.tool("search", call_id="call_1", description="web search")
        tool.arguments = {"q": "otel"}
        tool.result = ["a", "b"]
        tool.stop()
    spans = {s.name: s for s in span_exporter.get_finished_spans()}
    assert set(spans) == {
        "invoke_workflow plan",
        "invoke_agent researcher",
        "chat m",
        "execute_tool search",
    }
    tool_span = spans["execute_tool search"]
    assert tool_span.kind is SpanKind.INTERNAL
    assert tool_span.attributes[semconv.GEN_AI_TOOL_CALL_ARGUMENTS] == '{"q":"otel"}'  # type: ignore[index]
    assert tool_span.parent.span_id == spans["invoke_agent researcher"].context.span_id  # type: ignore[union-attr]
    # The execution links back to the model call that requested it.
    (link,) = tool_span.links
    assert link.context.span_id == spans["chat m"].context.span_id  # type: ignore[union-attr]
    assert spans["invoke_agent researcher"].attributes[semconv.GEN_AI_AGENT_ID] == "a1"  # type: ignore[index]


def test_tool_content_is_off_by_default(tracer_provider, meter_provider, span_exporter):  # type: ignore[no-untyped-def]
    handler = make(tracer_provider, meter_provider)
    tool = handler.tool("t")
    tool.arguments = {"password": "x"}
    tool.stop()
    (span,) = span_exporter.get_finished_spans()
    assert semconv.GEN_AI_TOOL_CALL_ARGUMENTS not in (span.attributes or {})


def test_experimental_names(tracer_provider, meter_provider, span_exporter, metric_reader):  # type: ignore[no-untyped-def]
    handler = make(tracer_provider, meter_provider, latest_experimental=True)
    inv = handler.inference("anthropic", "claude")
    inv.cache_creation_input_tokens = 7
    inv.input_tokens = 9
    inv.stop()
    handler.agent("a").stop()
    chat, _agent = span_exporter.get_finished_spans()
    assert chat.attributes[semconv.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS] == 7  # type: ignore[index]
    names = set(metric_points(metric_reader))
    # Inference metrics keep the released names under the opt-in, as the official
    # instrumentations of the same release do; agent durations exist only under it.
    assert {
        "gen_ai.client.operation.duration",
        "gen_ai.invoke_agent.duration",
        "gen_ai.client.token.usage",
    } <= names
    assert not any(name.startswith("gen_ai.client.inference.") for name in names)


def test_internal_error_is_contained_outside_strict_mode(
    tracer_provider, meter_provider, span_exporter, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from agentotel import _safety

    monkeypatch.setenv("AGENTOTEL_STRICT", "0")
    handler = make(tracer_provider, meter_provider)
    inv = handler.inference("openai", "m")
    monkeypatch.setattr(handler.metrics, "instruments", _Boom())
    inv.stop()
    assert len(span_exporter.get_finished_spans()) == 1
    assert _safety.error_counts["telemetry.chat.stop"] == 1


class _Boom:
    """Instruments whose every attribute access fails, to force a telemetry error."""

    def __getattr__(self, name: str) -> object:
        raise RuntimeError("boom")


def test_the_handler_takes_the_path_of_its_providers(tracer_provider: Any, span_path: str) -> None:
    from agentotel.telemetry.fasttrace import FastTracer

    handler = TelemetryHandler(tracer_provider, settings=_config.Settings())
    assert isinstance(handler.tracer, FastTracer) is (span_path == "fast")


def test_http_status_of_sdk_errors() -> None:
    from agentotel.telemetry.invocation import http_status_of

    class StatusError(Exception):
        status_code = 503

    class CodeError(Exception):
        code = 429

    class ClientError(Exception):
        response = {"ResponseMetadata": {"HTTPStatusCode": 400}}

    class Odd(Exception):
        code = "E42"
        status_code = True

    assert http_status_of(StatusError()) == 503
    assert http_status_of(CodeError()) == 429
    assert http_status_of(ClientError()) == 400
    assert http_status_of(Odd()) is None
    assert http_status_of(ValueError("x")) is None
