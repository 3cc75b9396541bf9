"""``responses.retrieve``: a ``fetch_response`` span under ``gen_ai_latest_experimental`` only."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import openai
import pytest

pytestmark = pytest.mark.usefixtures("instrumented")

STORED = {
    "id": "resp_stored_1",
    "object": "response",
    "created_at": 1700000000,
    "model": "gpt-4.1-mini-2025-04-14",
    "status": "incomplete",
    "incomplete_details": {"reason": "max_output_tokens"},
    "instructions": "Answer briefly.",
    "output": [
        {
            "type": "message",
            "id": "msg_1",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": "Sunny.", "annotations": []}],
        }
    ],
    "parallel_tool_calls": True,
    "tool_choice": "auto",
    "tools": [],
    "service_tier": "default",
    "usage": {
        "input_tokens": 9,
        "output_tokens": 2,
        "total_tokens": 11,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens_details": {"reasoning_tokens": 0},
    },
}


def _answer(request: httpx2.Request) -> httpx2.Response:
    """The stored-response endpoint (``GET /responses/{id}``) in the API's wire format."""
    if request.method == "GET" and request.url.path.endswith("/responses/resp_stored_1"):
        return httpx2.Response(200, json=STORED)
    error = {"error": {"message": "No response found.", "type": "invalid_request_error"}}
    return httpx2.Response(404, content=json.dumps(error).encode(), request=request)


@pytest.fixture
def client() -> openai.OpenAI:
    return openai.OpenAI(
        api_key="sk-test-secret",
        base_url="http://api.test.local:8080/v1",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(_answer)),
    )


@pytest.fixture
def content() -> Any:
    return True


@pytest.fixture
def opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")


@pytest.mark.usefixtures("opt_in")
def test_retrieve_is_a_fetch_response(client: openai.OpenAI, span_exporter: Any) -> None:
    response = client.responses.retrieve("resp_stored_1")
    assert response.id == "resp_stored_1"
    (span,) = span_exporter.get_finished_spans()
    assert span.name == "fetch_response"
    attrs = dict(span.attributes)
    assert attrs["gen_ai.operation.name"] == "fetch_response"
    assert attrs["gen_ai.response.id"] == "resp_stored_1"
    assert attrs["gen_ai.response.status"] == "incomplete"
    assert list(attrs["gen_ai.response.finish_reasons"]) == ["length"]
    assert attrs["openai.api.type"] == "responses"
    # The fetch consumed no tokens, and no request was made to a model.
    assert "gen_ai.usage.input_tokens" not in attrs
    assert "gen_ai.request.model" not in attrs
    assert json.loads(attrs["gen_ai.system_instructions"])[0]["content"] == "Answer briefly."
    assert "gen_ai.input_messages" not in attrs


@pytest.mark.usefixtures("opt_in")
def test_retrieve_error_keeps_the_id(client: openai.OpenAI, span_exporter: Any) -> None:
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve("resp_missing")
    (span,) = span_exporter.get_finished_spans()
    assert span.attributes["gen_ai.response.id"] == "resp_missing"
    assert span.attributes["error.type"] == "openai.NotFoundError"
    assert "gen_ai.response.status" not in span.attributes


def test_retrieve_makes_no_span_by_default(client: openai.OpenAI, span_exporter: Any) -> None:
    assert client.responses.retrieve("resp_stored_1").status == "incomplete"
    assert span_exporter.get_finished_spans() == ()
