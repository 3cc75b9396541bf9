"""Converse and ConverseStream through a real boto3 client against the scripted Bedrock server."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from botocore.eventstream import EventStream
from botocore.exceptions import ClientError, EventStreamError

from agentotel.testing import Reply, ToolCall
from tests.conftest import metric_points
from tests.instrumentation.bedrock.conftest import CLAUDE, NOVA, TOOL_CONFIG, USER, only_span

pytestmark = pytest.mark.usefixtures("instrumented")


def test_converse_span(client: Any, model: Any, span_exporter: Any, metric_reader: Any) -> None:
    model.add(
        Reply(
            text="Let me check.",
            tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="tooluse_abc")],
            input_tokens=20,
            cached_input_tokens=100,
            cache_creation_input_tokens=5,
            output_tokens=9,
        )
    )
    response = client.converse(
        modelId=CLAUDE,
        messages=USER,
        inferenceConfig={"maxTokens": 64, "temperature": 0.2, "topP": 0.9, "stopSequences": ["x"]},
        additionalModelRequestFields={"top_k": 5},
        toolConfig=TOOL_CONFIG,
        guardrailConfig={"guardrailIdentifier": "gr-123", "guardrailVersion": "1"},
    )
    assert response["stopReason"] == "tool_use"
    span = only_span(span_exporter)
    assert span.name == f"chat {CLAUDE}"
    attrs = dict(span.attributes)
    assert attrs["gen_ai.provider.name"] == "aws.bedrock"
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.request.model"] == CLAUDE
    assert attrs["server.address"] == "127.0.0.1"
    assert isinstance(attrs["server.port"], int)
    assert attrs["gen_ai.request.max_tokens"] == 64
    assert attrs["gen_ai.request.temperature"] == 0.2
    assert attrs["gen_ai.request.top_p"] == 0.9
    assert attrs["gen_ai.request.top_k"] == 5
    assert attrs["gen_ai.request.stop_sequences"] == ("x",)
    assert attrs["aws.bedrock.guardrail.id"] == "gr-123"
    assert attrs["aws.request_id"] == response["ResponseMetadata"]["RequestId"]
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_call",)
    # Bedrock's inputTokens excludes the cache; the conventions' input total includes it.
    assert attrs["gen_ai.usage.input_tokens"] == 125
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 100
    assert attrs["gen_ai.usage.cache_creation.input_tokens"] == 5
    assert attrs["gen_ai.usage.output_tokens"] == 9
    # Content is off by default.
    assert not any(
        k.startswith(("gen_ai.input", "gen_ai.output", "gen_ai.tool.def")) for k in attrs
    )
    points = metric_points(metric_reader)
    (duration,) = points["gen_ai.client.operation.duration"]
    assert duration.attributes["gen_ai.provider.name"] == "aws.bedrock"
    assert sorted(p.sum for p in points["gen_ai.client.token.usage"]) == [9, 125]


def test_converse_error_reraised_unchanged(client: Any, model: Any, span_exporter: Any) -> None:
    model.add(Reply(status=400))
    with pytest.raises(ClientError) as info:
        client.converse(modelId=CLAUDE, messages=USER)
    assert type(info.value).__name__ == "ValidationException"
    span = only_span(span_exporter)
    assert span.attributes["error.type"] == "botocore.errorfactory.ValidationException"
    assert span.status.status_code.name == "ERROR"


def test_converse_stream_exhausted(
    client: Any, model: Any, span_exporter: Any, metric_reader: Any
) -> None:
    model.add(
        Reply(
            text="It is sunny.",
            tool_calls=[ToolCall("get_weather", {"city": "Paris"})],
            input_tokens=11,
            output_tokens=7,
        )
    )
    response = client.converse_stream(modelId=NOVA, messages=USER)
    stream = response["stream"]
    assert isinstance(stream, EventStream)
    events = list(stream)
    assert "messageStart" in events[0] and "metadata" in events[-1]
    span = only_span(span_exporter)
    attrs = dict(span.attributes)
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.response.finish_reasons"] == ("tool_call",)
    assert attrs["gen_ai.usage.input_tokens"] == 11
    assert attrs["gen_ai.usage.output_tokens"] == 7
    assert "agentotel.stream.ended_by" not in attrs
    points = metric_points(metric_reader)
    assert points["gen_ai.client.operation.time_to_first_chunk"]


def test_converse_stream_closed_early(client: Any, model: Any, span_exporter: Any) -> None:
    model.add(Reply(text="one two three four five six"))
    stream = client.converse_stream(modelId=NOVA, messages=USER)["stream"]
    next(iter(stream))
    assert span_exporter.get_finished_spans() == ()
    stream.close()
    stream.close()
    span = only_span(span_exporter)
    assert span.attributes["agentotel.stream.ended_by"] == "closed"


def test_converse_stream_abandoned(client: Any, model: Any, span_exporter: Any) -> None:
    model.add(Reply(text="one two three four five six"))
    response = client.converse_stream(modelId=NOVA, messages=USER)
    for _event in response["stream"]:
        break
    del response, _event
    gc.collect()
    span = only_span(span_exporter)
    assert span.attributes["agentotel.stream.ended_by"] == "abandoned"


def test_converse_stream_error_mid_stream(client: Any, model: Any, span_exporter: Any) -> None:
    model.add(Reply(text="one two three four", error_body={"message": "model broke"}))
    stream = client.converse_stream(modelId=NOVA, messages=USER)["stream"]
    with pytest.raises(EventStreamError):
        for _event in stream:
            pass
    span = only_span(span_exporter)
    assert span.attributes["error.type"] == "botocore.exceptions.EventStreamError"
    # Ending again (close after the error) changes nothing.
    stream.close()
    assert len(span_exporter.get_finished_spans()) == 1


def test_converse_stream_http_error(client: Any, model: Any, span_exporter: Any) -> None:
    model.add(Reply(status=429))
    with pytest.raises(ClientError) as info:
        client.converse_stream(modelId=NOVA, messages=USER)
    assert type(info.value).__name__ == "ThrottlingException"
    assert only_span(span_exporter).attributes["error.type"].endswith("ThrottlingException")


def test_other_services_and_operations_untraced(
    server: Any, client: Any, span_exporter: Any
) -> None:
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="secret-test",
    )
    with pytest.raises(ClientError):
        s3.list_buckets()
    with pytest.raises(ClientError):
        client.apply_guardrail(
            guardrailIdentifier="g", guardrailVersion="1", source="INPUT", content=[]
        )
    assert span_exporter.get_finished_spans() == ()
