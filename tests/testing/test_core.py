"""The transport-independent core: routing, scripts, recording, wire details, import hygiene."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

import agentotel.testing as testing
from agentotel.testing import RecordedRequest, Reply, Response, ScriptedModel, ToolCall

CHAT = "/v1/chat/completions"


def post(model: ScriptedModel, path: str, body: dict[str, object]) -> Response:
    return model.handle(
        "POST", path, {"Content-Type": "application/json"}, json.dumps(body).encode()
    )


def events(response: Response) -> list[str]:
    assert response.stream is not None
    return [chunk.decode() for chunk in response.stream]


def test_public_api_is_exported() -> None:
    assert sorted(testing.__all__) == sorted(
        [
            "RecordedRequest",
            "Reply",
            "Response",
            "Script",
            "ScriptedBedrock",
            "ScriptedBedrockServer",
            "ScriptedModel",
            "ScriptedModelServer",
            "ToolCall",
            "mock_transport",
            "span_tree",
        ]
    )
    for name in testing.__all__:
        assert hasattr(testing, name)


def test_import_uses_only_the_standard_library() -> None:
    code = (
        "import sys, agentotel.testing\n"
        "bad = [m for m in ('httpx2', 'httpx', 'openai', 'anthropic') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""


@pytest.mark.parametrize(
    ("path", "api"),
    [
        ("/v1/chat/completions", "openai.chat"),
        ("/chat/completions/", "openai.chat"),
        ("/openai/deployments/x/chat/completions", "openai.chat"),
        ("/v1/responses", "openai.responses"),
        ("/v1/embeddings", "openai.embeddings"),
        ("/v1/completions", "openai.completions"),
        ("/v1/messages", "anthropic.messages"),
        ("/v1/messages?beta=true", "anthropic.messages"),
        ("/v1/messages/count_tokens?beta=true", "anthropic.count_tokens"),
    ],
)
def test_routing(path: str, api: str) -> None:
    model = ScriptedModel()

    response = post(model, path, {"model": "m", "messages": [], "input": "x"})

    assert response.status == 200
    assert model.requests[0].api == api
    assert model.requests[0].path == path.partition("?")[0]


def test_unknown_path_and_bad_json() -> None:
    model = ScriptedModel(["kept"])

    missing = post(model, "/v1/nothing", {})
    bad = model.handle("POST", CHAT, {}, b"{not json")
    anthropic_bad = model.handle("POST", "/v1/messages", {}, b"[1]")

    assert missing.status == 404 and missing.json()["error"]["type"] == "invalid_request_error"
    assert bad.status == 400
    assert anthropic_bad.json()["type"] == "error"
    assert model.remaining == 1  # failed requests do not use up replies
    assert [r.api for r in model.requests] == ["unknown", "openai.chat", "anthropic.messages"]


def test_recorded_request_unpacks_and_keeps_headers() -> None:
    model = ScriptedModel()

    model.handle("POST", CHAT + "?a=1", {"X-Trace": "t"}, b'{"model": "m"}')

    record = model.requests[0]
    assert isinstance(record, RecordedRequest)
    api, path, body = record
    assert (api, path, body) == ("openai.chat", CHAT, {"model": "m"})
    assert record.headers == {"x-trace": "t"}
    assert record.query == "a=1"


def test_strings_and_replies_mix_and_exhaust_to_ok() -> None:
    model = ScriptedModel(["first", Reply("second")])
    model.add("third")

    texts = [
        post(model, CHAT, {"model": "m"}).json()["choices"][0]["message"]["content"]
        for _ in range(4)
    ]

    assert texts == ["first", "second", "third", "ok"]
    assert model.remaining == 0


def test_callable_script_sees_body_and_api() -> None:
    seen: list[tuple[str, object]] = []

    def script(body: dict[str, object], api: str) -> Reply | str:
        seen.append((api, body.get("model")))
        return f"echo {body.get('model')}"

    model = ScriptedModel(script)
    reply = post(model, CHAT, {"model": "gpt-x"})

    assert reply.json()["choices"][0]["message"]["content"] == "echo gpt-x"
    assert seen == [("openai.chat", "gpt-x")]


def test_callable_errors_propagate_from_the_core() -> None:
    def script(body: dict[str, object], api: str) -> Reply:
        raise RuntimeError("bad script")

    with pytest.raises(RuntimeError, match="bad script"):
        post(ScriptedModel(script), CHAT, {"model": "m"})


def test_ids_are_unique_and_tool_call_ids_follow_each_api() -> None:
    call = ToolCall("f", {"x": 1})
    model = ScriptedModel([Reply(tool_calls=[call, call]), Reply(tool_calls=[call])])

    chat = post(model, CHAT, {"model": "m"}).json()
    claude = post(model, "/v1/messages", {"model": "m"}).json()

    chat_ids = [c["id"] for c in chat["choices"][0]["message"]["tool_calls"]]
    assert all(i.startswith("call_") for i in chat_ids) and len(set(chat_ids)) == 2
    assert claude["content"][0]["id"].startswith("toolu_")


def test_string_arguments_are_sent_verbatim() -> None:
    model = ScriptedModel([Reply(tool_calls=[ToolCall("f", '{"broken": ')])])

    chat = post(model, CHAT, {"model": "m"}).json()

    assert chat["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] == '{"broken": '


def test_chat_stream_wire_format() -> None:
    model = ScriptedModel([Reply("hi there", tool_calls=[ToolCall("f", {"a": 1})])])

    response = post(
        model, CHAT, {"model": "m", "stream": True, "stream_options": {"include_usage": True}}
    )
    lines = events(response)

    assert response.headers["content-type"].startswith("text/event-stream")
    assert all(line.startswith("data: ") and line.endswith("\n\n") for line in lines)
    assert lines[-1] == "data: [DONE]\n\n"
    chunks = [json.loads(line[6:]) for line in lines[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
    starts = [
        d
        for c in chunks
        for ch in c["choices"]
        for d in ch["delta"].get("tool_calls", [])
        if "id" in d
    ]
    assert starts == [
        {
            "index": 0,
            "id": starts[0]["id"],
            "type": "function",
            "function": {"name": "f", "arguments": ""},
        }
    ]


def test_anthropic_stream_wire_format() -> None:
    model = ScriptedModel([Reply("hi", reasoning="hmm")])

    lines = events(post(model, "/v1/messages", {"model": "m", "stream": True}))

    names = [line.split("\n")[0] for line in lines]
    assert names[:2] == ["event: message_start", "event: ping"]
    assert names[-2:] == ["event: message_delta", "event: message_stop"]
    assert "data: [DONE]" not in "".join(lines)
    deltas = [
        json.loads(line.split("data: ", 1)[1])["delta"]["type"]
        for line in lines
        if "content_block_delta" in line.split("\n")[0]
    ]
    assert deltas == ["thinking_delta", "signature_delta", "text_delta"]


def test_token_semantics_per_api() -> None:
    reply = Reply("x", cached_input_tokens=10, cache_creation_input_tokens=2)
    model = ScriptedModel([reply, reply])
    body = {"model": "m", "messages": [{"role": "user", "content": "abcdefgh"}]}

    chat = post(model, CHAT, body).json()["usage"]
    claude = post(model, "/v1/messages", body).json()["usage"]

    # OpenAI counts cached tokens inside prompt_tokens; Anthropic reports them beside input_tokens.
    assert chat["prompt_tokens"] == claude["input_tokens"] + 10
    assert chat["prompt_tokens_details"]["cached_tokens"] == 10
    assert claude["cache_read_input_tokens"] == 10
    assert claude["cache_creation_input_tokens"] == 2


def test_finish_reasons_translate_between_apis() -> None:
    model = ScriptedModel([Reply("x", finish_reason="length"), Reply("x", finish_reason="length")])

    chat = post(model, CHAT, {"model": "m"}).json()
    claude = post(model, "/v1/messages", {"model": "m"}).json()

    assert chat["choices"][0]["finish_reason"] == "length"
    assert claude["stop_reason"] == "max_tokens"


def test_delays_are_passed_to_the_transport() -> None:
    model = ScriptedModel([Reply("x y", delay=0.5, chunk_delay=0.25)])

    response = post(model, CHAT, {"model": "m", "stream": True})

    assert (response.delay, response.chunk_delay) == (0.5, 0.25)


def test_malformed_fields_keeps_only_identity() -> None:
    model = ScriptedModel([Reply("x", malformed="fields")])

    body = post(model, "/v1/messages", {"model": "m"}).json()

    assert set(body) == {"id", "type"}


def test_default_model_name_when_request_has_none() -> None:
    model = ScriptedModel()

    assert post(model, CHAT, {}).json()["model"] == "scripted-model"


def test_thread_safety_of_script_consumption() -> None:
    model = ScriptedModel([str(i) for i in range(40)])
    texts: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            text = post(model, CHAT, {"model": "m"}).json()["choices"][0]["message"]["content"]
            with lock:
                texts.append(text)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(texts, key=int) == [str(i) for i in range(40)]
    assert len(model.requests) == 40
