"""Exit is bounded for every signal agentotel exports, whatever the endpoint does.

Each test runs a real instrumented program in a subprocess against a real
loopback endpoint that is down, hangs, answers 429 or answers slowly, and
times the interpreter's exit. The bounds are generous (the machine is shared);
the measured figures are in docs/export.md.
"""

from __future__ import annotations

import io

import pytest
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricExportResult,
    MetricsData,
)

from agentotel.export import _exit, _metrics
from tests.export.exit_timing import exit_seconds
from tests.export.faults import FaultServer
from tests.export.receiver import closed_port_url

SLACK = 1.5  # interpreter start-up noise on a shared machine, not part of the bound


@pytest.mark.parametrize("kind", ["hang", "429", "slow"])
def test_exit_is_bounded_by_the_default_limit(kind: str) -> None:
    seconds, err = exit_seconds(kind)
    assert seconds < _exit.DEFAULT_EXIT_TIMEOUT + SLACK, (seconds, err)


def test_exit_with_the_endpoint_down_gives_up_at_once() -> None:
    seconds, err = exit_seconds("down")
    assert seconds < 0.5 + SLACK, (seconds, err)


def test_exit_limit_is_configurable() -> None:
    seconds, err = exit_seconds("hang", {"AGENTOTEL_EXIT_TIMEOUT": "300ms"})
    assert seconds < 0.3 + SLACK, (seconds, err)


def test_lost_spans_are_summarised_once_on_stderr() -> None:
    _seconds, err = exit_seconds("hang", {"AGENTOTEL_EXIT_TIMEOUT": "0.3"})
    summaries = [line for line in err.splitlines() if "span export(s) lost" in line]
    assert len(summaries) == 1, err
    assert "100 spans ended" in summaries[0]
    assert "to prevent it:" in summaries[0]
    warnings = [line for line in err.splitlines() if "not exported to" in line]
    assert not warnings, err  # at exit the summary is the one message


@pytest.mark.parametrize(
    ("env", "seconds"),
    [
        ({}, 2.0),
        ({"AGENTOTEL_EXIT_TIMEOUT": "5"}, 5.0),
        ({"AGENTOTEL_EXIT_TIMEOUT": "1.5s"}, 1.5),
        ({"AGENTOTEL_EXIT_TIMEOUT": "250ms"}, 0.25),
        ({"AGENTOTEL_EXIT_TIMEOUT": "soon"}, 2.0),
        ({"AGENTOTEL_BSP_EXIT_TIMEOUT": "700"}, 0.7),
        ({"AGENTOTEL_EXIT_TIMEOUT": "1", "AGENTOTEL_BSP_EXIT_TIMEOUT": "700"}, 1.0),
    ],
)
def test_exit_timeout_setting(env: dict[str, str], seconds: float) -> None:
    assert _exit.exit_timeout(env) == pytest.approx(seconds)


def test_the_final_metric_export_skips_an_endpoint_that_refuses() -> None:
    out = io.StringIO()
    inner = ConsoleMetricExporter(out=out)
    exporter = _metrics.ExitAwareMetricExporter(inner, closed_port_url())
    data = MetricsData(resource_metrics=[])
    assert exporter.export(data) is MetricExportResult.SUCCESS  # not exiting: always tried
    written = out.getvalue()
    exporter.exiting = True
    assert exporter.export(data) is MetricExportResult.FAILURE
    assert out.getvalue() == written
    server = FaultServer("slow")
    try:
        exporter.endpoint = server.url + "/v1/metrics"  # listening: the export goes ahead
        assert exporter.export(data) is MetricExportResult.SUCCESS
    finally:
        server.close()
