from __future__ import annotations

from typing import Any

import pytest

import agentotel
from agentotel import _setup


def test_unknown_option_is_a_loud_error(tracer_provider: Any, meter_provider: Any) -> None:
    with pytest.raises(TypeError, match="capture_contnet"):
        agentotel.instrument(
            tracer_provider=tracer_provider, meter_provider=meter_provider, capture_contnet=True
        )
    assert agentotel.current() is None


def test_library_options_reach_their_instrumentor(
    tracer_provider: Any, meter_provider: Any
) -> None:
    handle = agentotel.instrument(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        libraries=["anthropic", "langchain"],
        anthropic_native_spans="keep",
        langchain_verbose=True,
    )
    try:
        assert handle.names == ["anthropic", "langchain"]
        assert handle.instrumentors["anthropic"].native_spans == "keep"
        assert handle.instrumentors["langchain"]._verbose is True
        assert agentotel.instrument() is handle
    finally:
        agentotel.uninstrument()
    assert agentotel.current() is None
    assert not handle.instrumentors


def test_split_options() -> None:
    settings, libraries = _setup._split_options({"metrics": False, "pydantic_ai_x": 1, "mcp_y": 2})
    assert settings == {"metrics": False}
    assert libraries == {"pydantic_ai": {"x": 1}, "mcp": {"y": 2}}
