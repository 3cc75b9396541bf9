"""The real google-genai SDK against the scripted Gemini endpoints (Gemini API and Vertex AI)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from google import genai
from google.genai import errors, types

from agentotel.testing import Reply, ScriptedModel, ScriptedModelServer, ToolCall
from agentotel.testing._gemini import model_from_path

MODEL = "gemini-2.5-flash"


@pytest.fixture
def model() -> ScriptedModel:
    return ScriptedModel()


@pytest.fixture
def server(model: ScriptedModel) -> Iterator[ScriptedModelServer]:
    with ScriptedModelServer(model) as running:
        yield running


@pytest.fixture(params=["gemini", "vertex"])
def client(request: pytest.FixtureRequest, server: ScriptedModelServer) -> genai.Client:
    options = types.HttpOptions(base_url=server.url)
    return genai.Client(vertexai=request.param == "vertex", api_key="k", http_options=options)


def test_model_from_path() -> None:
    assert model_from_path("/v1beta/models/gemini-2.5-flash:generateContent") == MODEL
    path = "/v1beta1/projects/p/locations/l/publishers/google/models/gemini-x:predict"
    assert model_from_path(path) == "gemini-x"


def test_text_usage_and_reasoning(client: genai.Client, model: ScriptedModel) -> None:
    model.add(
        Reply(
            "Sunny.",
            reasoning="Check the sky.",
            input_tokens=50,
            cached_input_tokens=20,
            output_tokens=4,
            reasoning_tokens=6,
        )
    )
    result = client.models.generate_content(model=MODEL, contents="Weather?")
    assert result.text == "Sunny."
    parts = result.candidates[0].content.parts
    assert (parts[0].thought, parts[0].text) == (True, "Check the sky.")
    assert result.candidates[0].finish_reason == types.FinishReason.STOP
    assert result.model_version == MODEL and result.response_id
    usage = result.usage_metadata
    assert usage.prompt_token_count == 50 and usage.cached_content_token_count == 20
    assert usage.candidates_token_count == 4 and usage.thoughts_token_count == 6
    assert usage.total_token_count == 60


def test_function_call_and_candidates(client: genai.Client, model: ScriptedModel) -> None:
    model.add(Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="c1")]))
    result = client.models.generate_content(
        model=MODEL, contents="Weather?", config={"candidate_count": 2}
    )
    assert len(result.candidates) == 2
    (call,) = result.function_calls or []
    assert (call.name, call.args, call.id) == ("get_weather", {"city": "Paris"}, "c1")


def test_finish_reason_translated(client: genai.Client, model: ScriptedModel) -> None:
    model.add(Reply("cut", finish_reason="length"))
    result = client.models.generate_content(model=MODEL, contents="x")
    assert result.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS


def test_stream(client: genai.Client, model: ScriptedModel, server: ScriptedModelServer) -> None:
    model.add(Reply("one two three", input_tokens=3, output_tokens=3))
    chunks = list(client.models.generate_content_stream(model=MODEL, contents="Count"))
    assert [c.text for c in chunks] == ["one ", "two ", "three"]
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert chunks[-1].usage_metadata.candidates_token_count == 3
    assert server.requests[0].api == "gemini.stream_generate_content"
    assert server.requests[0].query == "alt=sse"


def test_errors(client: genai.Client, model: ScriptedModel) -> None:
    model.add(Reply(status=429))
    with pytest.raises(errors.ClientError) as caught:
        client.models.generate_content(model=MODEL, contents="x")
    assert caught.value.code == 429 and caught.value.status == "RESOURCE_EXHAUSTED"
    error = {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}
    model.add(Reply("a b c d", error_body={"error": error}))
    with pytest.raises(errors.ServerError):
        list(client.models.generate_content_stream(model=MODEL, contents="x"))


def test_malformed_body(client: genai.Client, model: ScriptedModel) -> None:
    model.add(Reply("x", malformed=True))
    with pytest.raises(json.JSONDecodeError):
        client.models.generate_content(model=MODEL, contents="x")


def test_wrong_method_is_a_google_error(model: ScriptedModel) -> None:
    answer = model.handle("GET", "/v1beta/models/m:generateContent", {}, b"")
    assert answer.status == 404
    assert answer.json()["error"]["status"] == "NOT_FOUND"


@pytest.mark.parametrize("name", ["gemini-embedding-001", "text-embedding-004"])
def test_embeddings(client: genai.Client, name: str) -> None:
    result = client.models.embed_content(
        model=name, contents="hello", config={"output_dimensionality": 4}
    )
    (embedding,) = result.embeddings or []
    assert len(embedding.values or []) == 4
    again = client.models.embed_content(
        model=name, contents="hello", config={"output_dimensionality": 4}
    )
    assert again.embeddings[0].values == embedding.values
