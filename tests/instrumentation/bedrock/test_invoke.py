"""InvokeModel and InvokeModelWithResponseStream for each supported model family."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError, EventStreamError
from botocore.response import StreamingBody

from agentotel.instrumentation.bedrock.extract import finish_reason
from agentotel.testing import Reply
from tests.instrumentation.bedrock.conftest import (
    CLAUDE,
    LLAMA,
    NOVA,
    TITAN,
    TITAN_EMBED,
    USER,
    anthropic_body,
    body,
    only_span,
)

pytestmark = pytest.mark.usefixtures("instrumented")

NOVA_BODY = body(
    schemaVersion="messages-v1",
    messages=USER,
    inferenceConfig={"max_new_tokens": 32, "temperature": 0.1, "topP": 0.8, "topK": 20},
)
TITAN_BODY = body(
    inputText="Say hi.", textGenerationConfig={"maxTokenCount": 16, "temperature": 0.3}
)
LLAMA_BODY = body(prompt="Say hi.", max_gen_len=16, temperature=0.4, top_p=0.7)


@pytest.mark.parametrize(
    ("model_id", "request_body", "operation", "reason", "params"),
    [
        (CLAUDE, anthropic_body(temperature=0.5), "chat", "end_turn", {"max_tokens": 64}),
        (NOVA, NOVA_BODY, "chat", "end_turn", {"max_tokens": 32, "top_k": 20}),
        (TITAN, TITAN_BODY, "text_completion", "FINISH", {"max_tokens": 16}),
        (LLAMA, LLAMA_BODY, "text_completion", "stop", {"max_tokens": 16, "top_p": 0.7}),
    ],
)
def test_invoke_model(
    client: Any,
    model: Any,
    span_exporter: Any,
    model_id: str,
    request_body: str,
    operation: str,
    reason: str,
    params: dict[str, Any],
) -> None:
    model.add(Reply(text="Hello there.", input_tokens=12, output_tokens=4))
    response = client.invoke_model(modelId=model_id, body=request_body, guardrailIdentifier="gr-9")
    # The caller still gets an unread StreamingBody with the exact bytes.
    assert isinstance(response["body"], StreamingBody)
    payload = json.loads(response["body"].read())
    assert payload
    span = only_span(span_exporter)
    assert span.name == f"{operation} {model_id}"
    attrs = dict(span.attributes)
    assert attrs["gen_ai.provider.name"] == "aws.bedrock"
    # The model family's own stop reason, mapped to the conventions' value.
    assert attrs["gen_ai.response.finish_reasons"] == (finish_reason(reason),)
    assert attrs["gen_ai.usage.input_tokens"] == 12
    assert attrs["gen_ai.usage.output_tokens"] == 4
    assert attrs["aws.bedrock.guardrail.id"] == "gr-9"
    for key, value in params.items():
        assert attrs[f"gen_ai.request.{key}"] == value


def test_invoke_model_embeddings(client: Any, model: Any, span_exporter: Any) -> None:
    model.add(Reply(input_tokens=3))
    response = client.invoke_model(
        modelId=TITAN_EMBED, body=body(inputText="hello", dimensions=256)
    )
    assert len(json.loads(response["body"].read())["embedding"]) == 256
    span = only_span(span_exporter)
    assert span.name == f"embeddings {TITAN_EMBED}"
    assert span.attributes["gen_ai.embeddings.dimension.count"] == 256
    assert span.attributes["gen_ai.usage.input_tokens"] == 3
    assert "gen_ai.usage.output_tokens" not in span.attributes


def test_invoke_model_unknown_family_reads_header_tokens(
    client: Any, model: Any, span_exporter: Any
) -> None:
    model.add(Reply(text="x", input_tokens=5, output_tokens=2))
    client.invoke_model(modelId="cohere.command-r-v1:0", body=body(message="hi"))
    attrs = only_span(span_exporter).attributes
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.usage.input_tokens"] == 5
    assert attrs["gen_ai.usage.output_tokens"] == 2


def test_invoke_model_file_body_is_not_consumed(
    client: Any, model: Any, span_exporter: Any, tmp_path: Any
) -> None:
    path = tmp_path / "body.json"
    path.write_text(anthropic_body())
    with path.open("rb") as handle:
        client.invoke_model(modelId=CLAUDE, body=handle)
    assert model.requests[0].body["anthropic_version"] == "bedrock-2023-05-31"
    assert only_span(span_exporter).attributes["gen_ai.usage.output_tokens"] > 0


def test_invoke_model_malformed_body(client: Any, model: Any, span_exporter: Any) -> None:
    model.add(Reply(text="x", malformed=True, input_tokens=5, output_tokens=2))
    raw = client.invoke_model(modelId=CLAUDE, body=anthropic_body())["body"].read()
    with pytest.raises(ValueError):
        json.loads(raw)
    assert only_span(span_exporter).attributes["gen_ai.usage.input_tokens"] == 5


def test_invoke_model_error(client: Any, model: Any, span_exporter: Any) -> None:
    model.add(Reply(status=403))
    with pytest.raises(ClientError) as info:
        client.invoke_model(modelId=CLAUDE, body=anthropic_body())
    assert type(info.value).__name__ == "AccessDeniedException"
    assert only_span(span_exporter).attributes["error.type"].endswith("AccessDeniedException")


@pytest.mark.parametrize(
    ("model_id", "request_body", "reason"),
    [
        (CLAUDE, anthropic_body(), "end_turn"),
        (NOVA, NOVA_BODY, "end_turn"),
        (TITAN, TITAN_BODY, "FINISH"),
        (LLAMA, LLAMA_BODY, "stop"),
    ],
)
def test_invoke_model_stream(
    client: Any, model: Any, span_exporter: Any, model_id: str, request_body: str, reason: str
) -> None:
    model.add(Reply(text="one two three", input_tokens=12, output_tokens=4))
    response = client.invoke_model_with_response_stream(modelId=model_id, body=request_body)
    chunks = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
    assert "amazon-bedrock-invocationMetrics" in chunks[-1]
    span = only_span(span_exporter)
    attrs = dict(span.attributes)
    assert attrs["gen_ai.request.stream"] is True
    # The model family's own stop reason, mapped to the conventions' value.
    assert attrs["gen_ai.response.finish_reasons"] == (finish_reason(reason),)
    assert attrs["gen_ai.usage.input_tokens"] == 12
    assert attrs["gen_ai.usage.output_tokens"] == 4


def test_invoke_model_stream_closed_and_errored(
    client: Any, model: Any, span_exporter: Any
) -> None:
    model.add(Reply(text="one two three four"), Reply(text="a b c d", error_body={"message": "x"}))
    stream = client.invoke_model_with_response_stream(modelId=CLAUDE, body=anthropic_body())
    next(iter(stream["body"]))
    stream["body"].close()
    failing = client.invoke_model_with_response_stream(modelId=CLAUDE, body=anthropic_body())
    with pytest.raises(EventStreamError):
        list(failing["body"])
    closed, errored = span_exporter.get_finished_spans()
    assert closed.attributes["agentotel.stream.ended_by"] == "closed"
    assert errored.attributes["error.type"] == "botocore.exceptions.EventStreamError"
