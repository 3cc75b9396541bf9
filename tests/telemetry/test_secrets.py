"""Credentials never reach a span through error text (a 401 that repeats the key, a URL...)."""

from __future__ import annotations

from typing import Any

import httpx2
import openai
import pytest

from agentotel.instrumentation.openai import OpenAIInstrumentor
from agentotel.telemetry.secrets import MARK, scrub
from agentotel.testing import Reply, ScriptedModel, mock_transport

# One made-up credential per format the scrubber knows (none is a real key).
KEYS = {
    "openai": "sk-" + "abcDEF1234567890" * 2,
    "openai-project": "sk-proj-" + "Zx9_Yw8-Vu7Ts6Rq5Po4" * 2,
    "anthropic": "sk-ant-api03-" + "Q1w2E3r4T5y6U7i8O9p0" * 3,
    "google": "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6",
    "aws": "AKIA" + "IOSFODNN7EXAMPLE",
    "aws-temporary": "ASIA" + "Y34FZKBOKMUTVV7A",
}
OTHER = {
    "bearer": ("Bearer eyJhbGciOiJIUzI1NiJ9.payload.signature", "eyJhbGciOiJIUzI1NiJ9"),
    "authorization": ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
    "basic-auth-url": ("https://alice:hunter2secret@proxy.local:8080/v1", "hunter2secret"),
}


@pytest.mark.parametrize("name", sorted(KEYS))
def test_scrub_removes_each_key_format(name: str) -> None:
    key = KEYS[name]
    text = f"Incorrect API key provided: {key}. You can find your API key at ..."
    out = scrub(text)
    assert key not in out and MARK in out
    assert out.startswith("Incorrect API key provided: ")


@pytest.mark.parametrize("name", sorted(OTHER))
def test_scrub_removes_tokens_headers_and_url_passwords(name: str) -> None:
    text, secret = OTHER[name]
    out = scrub(f"request failed ({text})")
    assert secret not in out and MARK in out


def test_scrub_leaves_ordinary_text_alone() -> None:
    text = "Rate limit reached for gpt-4o-mini in organization org-123 on tokens per min."
    assert scrub(text) == text


@pytest.mark.parametrize("name", sorted(KEYS) + sorted(OTHER))
def test_401_repeating_the_key_leaves_no_key_in_the_span(
    name: str, tracer_provider: Any, span_exporter: Any
) -> None:
    secret_text, secret = OTHER[name] if name in OTHER else (KEYS[name], KEYS[name])
    message = f"Incorrect API key provided: {secret_text}. See https://platform.example/keys."
    model = ScriptedModel(
        [
            Reply(
                status=401,
                error_body={
                    "error": {
                        "message": message,
                        "type": "invalid_request_error",
                        "code": "invalid_api_key",
                    }
                },
            )
        ]
    )
    client = openai.OpenAI(
        api_key=KEYS["openai"] if name not in KEYS else KEYS[name],
        base_url="http://api.test.local:8080/v1",
        max_retries=0,
        http_client=httpx2.Client(transport=mock_transport(model)),
    )
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider)
    try:
        with pytest.raises(openai.AuthenticationError) as raised:
            client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
    finally:
        instrumentor.uninstrument()
    assert secret in str(raised.value)  # the application's exception is untouched
    (span,) = span_exporter.get_finished_spans()
    recorded = [span.status.description or ""]
    for event in span.events:
        recorded += [str(v) for v in (event.attributes or {}).values()]
    recorded += [str(v) for v in (span.attributes or {}).values()]
    assert not any(secret in text for text in recorded), recorded
    assert MARK in (span.status.description or "")
    assert span.attributes["error.type"] == "openai.AuthenticationError"
