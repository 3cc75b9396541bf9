"""Response readers: direct attribute access on SDK models, a lenient re-read for anything else."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from openai.types import CompletionUsage
from openai.types.chat import ChatCompletion

from agentotel import semconv
from agentotel.instrumentation._read import Lenient, lenient
from agentotel.instrumentation.openai.extract import chat_response, usage_chat

COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-4o-2024",
    "system_fingerprint": "fp_1",
    "choices": [
        {
            "index": 0,
            "finish_reason": "tool_calls",
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "f", "arguments": "{}"},
                    }
                ],
            },
        }
    ],
    "usage": {
        "prompt_tokens": 10,
        "completion_tokens": 4,
        "total_tokens": 14,
        "prompt_tokens_details": {"cached_tokens": 3},
    },
}


def invocation() -> SimpleNamespace:
    return SimpleNamespace(
        attributes={}, metric_attributes={}, capture_content=False, names=semconv.STABLE
    )


def read(response: Any) -> dict[str, Any]:
    inv = invocation()
    chat_response(inv, response)
    return vars(inv)


def test_sdk_models_and_plain_dicts_read_the_same() -> None:
    model = ChatCompletion.model_validate(COMPLETION)
    expected = {
        "response_id": "chatcmpl-1",
        "response_model": "gpt-4o-2024",
        "finish_reasons": ["tool_calls"],
        "tool_call_ids": ["call_1"],
        "input_tokens": 10,
        "output_tokens": 4,
        "cache_read_input_tokens": 3,
        "attributes": {"openai.response.system_fingerprint": "fp_1"},
        "metric_attributes": {"openai.response.system_fingerprint": "fp_1"},
        "capture_content": False,
        "names": semconv.STABLE,
    }
    assert read(model) == expected
    assert read(COMPLETION) == expected


@pytest.mark.parametrize(
    "response",
    [
        {},
        {"choices": None, "model": 5},
        {"choices": [None, {"message": None}, {"finish_reason": 3, "message": {"tool_calls": 1}}]},
        SimpleNamespace(id="x"),  # a model without most fields
        "not a response",
        42,
    ],
)
def test_odd_payloads_degrade_to_missing_fields(response: Any) -> None:
    inv = invocation()
    chat_response(inv, response)  # never raises
    assert set(vars(inv)) - {"attributes", "metric_attributes", "capture_content", "names"} <= {
        "response_id",
        "response_model",
        "finish_reasons",
        "tool_call_ids",
        "input_tokens",
        "output_tokens",
    }


def test_usage_with_wrong_types_records_no_counts() -> None:
    inv = invocation()
    usage_chat(inv, {"prompt_tokens": "10", "completion_tokens": True})
    assert (inv.input_tokens, inv.output_tokens) == (None, None)
    inv = invocation()
    usage_chat(inv, CompletionUsage(prompt_tokens=1, completion_tokens=2, total_tokens=3))
    assert (inv.input_tokens, inv.output_tokens) == (1, 2)


def test_lenient_views() -> None:
    view = lenient({"a": {"b": [1, {"c": "d"}]}})
    assert isinstance(view, Lenient)
    assert view.a.b is not None and [type(x) for x in view.a.b] == [int, Lenient]
    assert view.missing is None and view.a.missing is None
    assert list(lenient(5) if isinstance(lenient(5), Lenient) else []) == []
    assert not Lenient({}) and Lenient({"k": 1})
