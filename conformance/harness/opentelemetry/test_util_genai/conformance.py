"""``Scenario`` and ``run_conformance`` for the official suites' Weaver scenarios.

Those scenarios validate emitted telemetry with a Weaver live check, which this
job does not run (the ``weaver_live_check`` fixture skips); these names exist so
that the scenario modules import.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest


class Scenario:
    """One recorded call whose telemetry a live check would validate."""

    expected_spans: ClassVar[dict[str, int]] = {}
    expected_metrics: ClassVar[tuple[str, ...]] = ()

    def run(self, **providers: Any) -> None:
        raise NotImplementedError


def run_conformance(scenario: Scenario, *, vcr: Any, weaver: Any) -> None:
    pytest.skip("Weaver live check is not part of agentotel's conformance job")
