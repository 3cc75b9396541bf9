from __future__ import annotations

import pytest

from agentotel import _config, semconv
from agentotel._config import ContentMode


@pytest.mark.parametrize(
    ("raw", "mode"),
    [
        (None, ContentMode.NO_CONTENT),
        ("true", ContentMode.SPAN_ONLY),
        ("TRUE", ContentMode.SPAN_ONLY),
        ("false", ContentMode.NO_CONTENT),
        ("NO_CONTENT", ContentMode.NO_CONTENT),
        ("SPAN_ONLY", ContentMode.SPAN_ONLY),
        ("event_only", ContentMode.EVENT_ONLY),
        ("SPAN_AND_EVENT", ContentMode.SPAN_AND_EVENT),
        ("nonsense", ContentMode.NO_CONTENT),
        (True, ContentMode.SPAN_ONLY),
    ],
)
def test_content_modes(raw: object, mode: ContentMode) -> None:
    assert _config.parse_content_mode(raw) is mode  # type: ignore[arg-type]


def test_from_env_reads_every_variable() -> None:
    settings = _config.from_env(
        {
            "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_AND_EVENT",
            "AGENTOTEL_MAX_CONTENT_LENGTH": "99",
            "OTEL_SEMCONV_STABILITY_OPT_IN": "http, gen_ai_latest_experimental",
            "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "openai, agentotel_anthropic",
        }
    )
    assert settings.content is ContentMode.SPAN_AND_EVENT
    assert settings.max_content_length == 99
    assert settings.latest_experimental
    assert settings.names is semconv.EXPERIMENTAL
    assert settings.disabled == {"openai", "agentotel_anthropic"}


def test_defaults_are_private_and_stable() -> None:
    settings = _config.from_env({})
    assert settings.content is ContentMode.NO_CONTENT
    assert settings.names is semconv.STABLE


def test_overrides_win_over_environment() -> None:
    settings = _config.from_env(
        {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "false"}, content=True
    )
    assert settings.content is ContentMode.SPAN_ONLY


def test_bad_integer_falls_back() -> None:
    assert _config.from_env({"AGENTOTEL_MAX_CONTENT_LENGTH": "lots"}).max_content_length == (
        _config.DEFAULT_MAX_CONTENT_LENGTH
    )
