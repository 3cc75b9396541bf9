"""Token details of chat usage: cache writes and audio counts, under the name set in force."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from openai.types import CompletionUsage

from agentotel import semconv
from agentotel.instrumentation.openai.extract import usage_chat

DETAILS = {
    "prompt_tokens": 100,
    "completion_tokens": 20,
    "total_tokens": 120,
    "prompt_tokens_details": {"cached_tokens": 5, "cache_write_tokens": 10, "audio_tokens": 7},
    "completion_tokens_details": {"audio_tokens": 2, "reasoning_tokens": 3},
}


def read(usage: Any, names: semconv.Names) -> SimpleNamespace:
    inv = SimpleNamespace(attributes={}, names=names)
    inv.set = lambda key, value: inv.attributes.__setitem__(key, value)
    usage_chat(inv, usage)
    return inv


@pytest.mark.parametrize("usage", [CompletionUsage.model_validate(DETAILS), DETAILS])
def test_cache_write_and_audio_counts(usage: Any) -> None:
    stable = read(usage, semconv.STABLE)
    assert stable.cache_read_input_tokens == 5
    assert stable.cache_creation_input_tokens == 10
    assert stable.reasoning_output_tokens == 3
    assert stable.attributes == {}  # audio counts have experimental names only

    latest = read(usage, semconv.EXPERIMENTAL)
    assert latest.attributes == {
        "gen_ai.usage.audio.input_tokens": 7,
        "gen_ai.usage.audio.output_tokens": 2,
    }


def test_zero_and_negative_counts_are_not_recorded() -> None:
    usage = {
        "prompt_tokens": 1,
        "completion_tokens": 1,
        "total_tokens": 2,
        "prompt_tokens_details": {"cached_tokens": 0, "cache_write_tokens": -1, "audio_tokens": 0},
        "completion_tokens_details": {"audio_tokens": -2, "reasoning_tokens": 0},
    }
    inv = read(CompletionUsage.model_validate(usage), semconv.EXPERIMENTAL)
    assert not hasattr(inv, "cache_read_input_tokens")
    assert not hasattr(inv, "cache_creation_input_tokens")
    assert not hasattr(inv, "reasoning_output_tokens")
    assert inv.attributes == {}
