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


@settings(max_examples=150, deadline=None)
@given(value=json_values, limit=st.integers(min_value=1, max_value=400))
def test_truncation_always_yields_valid_json_with_same_structure(value: object, limit: int) -> None:
    text, truncated = content.to_json(value, limit)
    parsed = json.loads(text)
    assert _shape(parsed) == _shape(value)
    if not truncated:
        assert parsed == value


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
    assert content.serialize("other", {"k": 1}, 100, redact) == ("[redacted]", False)
    assert seen == ["secret", "other"]


def test_plain_string_truncation() -> None:
    text, truncated = content.serialize("x", "a" * 1000, 100)
    assert truncated and text is not None and len(text) <= 100
