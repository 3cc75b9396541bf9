from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import agentotel


@pytest.fixture
def content() -> Any:
    """Override (or parametrize) in a test module to turn content capture on."""
    return False


@pytest.fixture
def setup(
    tracer_provider: Any, meter_provider: Any, content: Any
) -> Iterator[agentotel.Instrumentation]:
    """agentotel.instrument() on explicit providers with no library patched (no OTel globals)."""
    agentotel.uninstrument()
    handle = agentotel.instrument(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        capture_content=content,
        libraries=[],
    )
    yield handle
    handle.uninstrument()
