"""agentotel's pytest plugin (registered under ``pytest11``): the ``agentotel_traces`` fixture.

It loads in every pytest run of every project that installs agentotel, so it
stays inert: importing it imports nothing but pytest, and it does nothing until
a test asks for the fixture. Options come from the ``agentotel`` marker::

    @pytest.mark.agentotel(capture_content=True, libraries=["openai"])
    def test_agent(agentotel_traces):
        run_my_agent()
        agentotel_traces.assert_tool_used("lookup_order")
        agentotel_traces.assert_no_loops()
        agentotel_traces.assert_tokens_under(5_000)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "agentotel(capture_content=None, libraries=None): options for the agentotel_traces fixture",
    )


@pytest.fixture
def agentotel_traces(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Spans produced during the test, in memory, with query, evaluation and assert helpers.

    Yields an :class:`agentotel.evals.capture.TraceCapture`.
    """
    from agentotel.evals.capture import capture

    marker = request.node.get_closest_marker("agentotel")
    options = dict(marker.kwargs) if marker is not None else {}
    with capture(**options) as captured:
        yield captured
