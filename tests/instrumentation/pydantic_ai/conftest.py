from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic_ai import Agent

from agentotel import _config
from agentotel.instrumentation.pydantic_ai import PydanticAIInstrumentor


@pytest.fixture
def content() -> Any:
    """Override (or parametrize) in a test module to turn content capture on."""
    return False


@pytest.fixture
def settings(content: Any) -> _config.Settings:
    return _config.from_env({}, content=content)


@pytest.fixture
def instrument(
    tracer_provider: Any, meter_provider: Any, settings: _config.Settings
) -> Iterator[PydanticAIInstrumentor]:
    instrumentor = PydanticAIInstrumentor()
    instrumentor.instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider, settings=settings
    )
    yield instrumentor
    instrumentor.uninstrument()


@pytest.fixture(autouse=True)
def _no_global_native_instrumentation() -> Iterator[None]:
    """Tests that call ``Agent.instrument_all`` must not leak it into the next test."""
    yield
    Agent.instrument_all(False)


def by_name(spans: Any) -> Callable[[str], Any]:
    """Look a finished span up by name (the first one, in end order)."""

    def get(name: str) -> Any:
        for span in spans:
            if span.name == name:
                return span
        raise KeyError(name)

    return get
