"""The HTTP server: lifecycle, URLs, chunked streaming, early close, errors, and the CLI."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys

import openai
import pytest

from agentotel.testing import Reply, ScriptedModel, ScriptedModelServer


def test_urls_and_lifecycle() -> None:
    server = ScriptedModelServer(["hi"])
    with pytest.raises(RuntimeError):
        _ = server.url
    with server:
        port = server.port
        assert port > 0
        assert server.url == f"http://127.0.0.1:{port}"
        assert server.openai_base_url == f"http://127.0.0.1:{port}/v1"
        assert server.anthropic_base_url == f"http://127.0.0.1:{port}"
        assert server.start() is server  # starting twice is harmless
    server.stop()  # so is stopping twice


def test_accepts_an_existing_model_and_shares_its_requests() -> None:
    model = ScriptedModel(["hello"])
    with ScriptedModelServer(model) as server:
        client = openai.OpenAI(api_key="k", base_url=server.openai_base_url, max_retries=0)
        result = client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "q"}]
        )

    assert result.choices[0].message.content == "hello"
    assert server.requests is model.requests
    assert server.requests[0].headers["authorization"] == "Bearer k"


def test_stream_is_sent_chunked_event_by_event() -> None:
    with ScriptedModelServer([Reply("a b c", chunk_delay=0.001)]) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request(
            "POST", "/v1/chat/completions", body=json.dumps({"model": "m", "stream": True})
        )
        response = conn.getresponse()
        first = response.readline()
        rest = response.read()
        conn.close()

    assert response.status == 200
    assert response.getheader("transfer-encoding") == "chunked"
    assert first.startswith(b"data: {")
    assert rest.endswith(b"data: [DONE]\n\n")


def test_client_closing_a_stream_early_leaves_the_server_working() -> None:
    with ScriptedModelServer([Reply("word " * 200), "after"]) as server:
        client = openai.OpenAI(api_key="k", base_url=server.openai_base_url, max_retries=0)
        messages = [{"role": "user", "content": "q"}]
        stream = client.chat.completions.create(model="m", messages=messages, stream=True)  # type: ignore[arg-type]
        next(iter(stream))
        stream.close()
        result = client.chat.completions.create(model="m", messages=messages)  # type: ignore[arg-type]

    assert result.choices[0].message.content == "after"


def test_failing_script_becomes_a_500() -> None:
    def script(body: dict[str, object], api: str) -> Reply:
        raise ValueError("oops")

    with ScriptedModelServer(script) as server:
        client = openai.OpenAI(api_key="k", base_url=server.openai_base_url, max_retries=0)
        with pytest.raises(openai.InternalServerError, match="ValueError: oops"):
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "q"}])


def test_delay_before_response() -> None:
    with ScriptedModelServer([Reply("late", delay=0.01)]) as server:
        client = openai.OpenAI(api_key="k", base_url=server.openai_base_url, max_retries=0)
        result = client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "q"}]
        )

    assert result.choices[0].message.content == "late"


def test_command_line_serves_until_stopped() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "agentotel.testing", "--port", "0", "--text", "from cli"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("scripted model listening on http://127.0.0.1:")
        url = first.rsplit(" ", 1)[1].strip()
        client = openai.OpenAI(api_key="k", base_url=f"{url}/v1", max_retries=0)
        result = client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "q"}]
        )
        assert result.choices[0].message.content == "from cli"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_delay_longer_than_the_client_timeout_times_out() -> None:
    with ScriptedModelServer([Reply("late", delay=0.5), "next"]) as server:
        client = openai.OpenAI(
            api_key="k", base_url=server.openai_base_url, max_retries=0, timeout=0.05
        )
        messages = [{"role": "user", "content": "q"}]
        with pytest.raises(openai.APITimeoutError):
            client.chat.completions.create(model="m", messages=messages)  # type: ignore[arg-type]
        result = client.with_options(timeout=10).chat.completions.create(
            model="m",
            messages=messages,  # type: ignore[arg-type]
        )

    assert result.choices[0].message.content == "next"


def test_connection_error_once_stopped() -> None:
    server = ScriptedModelServer().start()
    url = server.openai_base_url
    server.stop()
    client = openai.OpenAI(api_key="k", base_url=url, max_retries=0)

    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "q"}])
