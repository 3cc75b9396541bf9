from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from agentotel.telemetry import content

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(value=json_values, limit=st.integers(min_value=4, max_value=400))
def test_truncation_always_yields_valid_json_within_the_limit(value: object, limit: int) -> None:
    text, truncated = content.to_json(value, limit)
    parsed = json.loads(text)
    assert len(text) <= limit or not truncated
    if not truncated:
        assert parsed == value
    elif isinstance(value, dict) and isinstance(parsed, dict) and "original_chars" not in parsed:
        assert parsed.keys() == value.keys()  # objects keep their keys


@settings(max_examples=100, deadline=None)
@given(value=json_values, limit=st.integers(min_value=1, max_value=400))
def test_when_only_strings_are_cut_the_shape_is_kept(value: object, limit: int) -> None:
    text, _ = content.to_json(value, limit)
    parsed = json.loads(text)
    if not _has_marker(parsed) and parsed is not None:
        assert _shape(parsed) == _shape(value)


def _has_marker(value: object) -> bool:
    if isinstance(value, str):
        return "…" in value
    if isinstance(value, dict):
        return "original_chars" in value or any(_has_marker(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_marker(v) for v in value)
    return False


def test_many_small_items_are_trimmed_to_the_limit() -> None:
    value = [{"i": i} for i in range(200_000)]
    text, truncated = content.serialize("gen_ai.tool.call.result", value, 16384)
    assert truncated and text is not None and len(text) <= 16384
    parsed = json.loads(text)
    assert parsed[0] == {"i": 0} and "items truncated" in parsed[-1]


def _shape(value: object) -> object:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


def test_truncation_fits_limit_and_marks_cut() -> None:
    messages = [{"role": "user", "parts": [{"type": "text", "content": "x" * 10_000}]}]
    text, truncated = content.to_json(messages, 500)
    assert truncated
    assert len(text) <= 500
    parsed = json.loads(text)
    assert parsed[0]["parts"][0]["content"].startswith("xxx")
    assert "truncated" in parsed[0]["parts"][0]["content"]


def test_short_strings_survive_when_long_ones_are_cut() -> None:
    value = {"a": "short", "b": "y" * 5000}
    text, truncated = content.to_json(value, 300)
    parsed = json.loads(text)
    assert truncated and parsed["a"] == "short"


def test_json_safe_handles_non_json_values() -> None:
    class Thing:
        def __str__(self) -> str:
            return "thing"

    value = {
        "bytes": b"\x00\xff",
        "nan": math.nan,
        "set": {1},
        "obj": Thing(),
        1: "int key",
    }
    safe = content.json_safe(value)
    json.dumps(safe, allow_nan=False)
    assert safe["bytes"] == "AP8="
    assert safe["nan"] == "nan"
    assert safe["obj"] == "thing"
    assert safe["1"] == "int key"


def test_json_safe_survives_deep_and_recursive_structures() -> None:
    deep: list[object] = []
    node = deep
    for _ in range(100):
        child: list[object] = []
        node.append(child)
        node = child
    json.dumps(content.json_safe(deep))


def test_redactor_sees_value_and_can_drop_it() -> None:
    seen: list[str] = []

    def redact(name: str, value: object) -> object:
        seen.append(name)
        return None if name == "secret" else "[redacted]"

    assert content.serialize("secret", {"k": 1}, 100, redact) == (None, False)
    # Message attributes stay JSON documents even when the redactor returns plain text.
    assert content.serialize("other", {"k": 1}, 100, redact) == ('"[redacted]"', False)
    assert content.serialize("other", {"k": 1}, 100, redact, as_json=False) == ("[redacted]", False)
    assert seen == ["secret", "other", "other"]


def test_plain_string_truncation() -> None:
    text, truncated = content.serialize("x", "a" * 1000, 100, as_json=False)
    assert truncated and text is not None and len(text) <= 100
