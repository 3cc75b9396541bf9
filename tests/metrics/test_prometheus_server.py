"""A real Prometheus server scrapes an instrumented program and answers PromQL about it.

The program is examples/prometheus_metrics.py: the real openai SDK against agentotel's
scripted server, with a model error and a tool error, serving ``/metrics`` on loopback.
Prometheus (Debian's package; .ci/run installs it) scrapes it every second into a
temporary directory, and the series are read back through ``/api/v1/query``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = shutil.which("prometheus") or (
    "/usr/bin/prometheus" if os.path.exists("/usr/bin/prometheus") else None
)
pytestmark = pytest.mark.skipif(
    PROMETHEUS is None,
    reason="the prometheus binary is not installed (apt-get install prometheus; .ci/run does)",
)

# The five panels of docs/metrics.md: each must be valid PromQL that Prometheus evaluates.
PANELS = {
    "calls per model": "sum by (gen_ai_request_model) "
    "(rate(gen_ai_client_operation_duration_seconds_count[5m]))",
    "p95 latency": "histogram_quantile(0.95, sum by (le, gen_ai_request_model) "
    "(rate(gen_ai_client_operation_duration_seconds_bucket[5m])))",
    "error rate": 'sum by (error_type) (rate(gen_ai_client_operation_duration_seconds_count{error_type!=""}[5m]))'
    " / ignoring(error_type) group_left "
    "sum(rate(gen_ai_client_operation_duration_seconds_count[5m]))",
    "tokens per minute": "sum by (gen_ai_token_type) "
    "(rate(gen_ai_client_token_usage_sum[5m])) * 60",
    "cost per day": "sum by (gen_ai_request_model) "
    "(increase(agentotel_gen_ai_client_cost_USD_total[1d]))",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def app_port(tmp_path: Path) -> Iterator[int]:
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OTEL_EXPORTER_OTLP", "AGENTOTEL_PROMETHEUS", "OTEL_METRICS"))
    }
    env.update(
        AGENTOTEL_STORE="off",
        AGENTOTEL_PROMETHEUS_PORT=str(port),
        AGENTOTEL_METRICS_COST="true",
        OTEL_SEMCONV_STABILITY_OPT_IN="gen_ai_latest_experimental",
        OTEL_SERVICE_NAME="converter-app",
    )
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / "prometheus_metrics.py"), "--hold"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() == "done":
                break
        else:
            pytest.fail(f"the example ended early: {proc.stderr.read() if proc.stderr else ''}")
        yield port
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def prometheus_url(tmp_path: Path, app_port: int) -> Iterator[str]:
    assert PROMETHEUS is not None
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n"
        "  scrape_interval: 1s\n"
        "  scrape_timeout: 1s\n"
        "scrape_configs:\n"
        "  - job_name: agentotel\n"
        "    static_configs:\n"
        f"      - targets: ['127.0.0.1:{app_port}']\n"
    )
    log = (tmp_path / "prometheus.log").open("w")
    proc = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def query(base: str, promql: str) -> list[dict[str, Any]]:
    url = f"{base}/api/v1/query?{urllib.parse.urlencode({'query': promql})}"
    with urllib.request.urlopen(url, timeout=5) as response:
        body = json.load(response)
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def by(result: list[dict[str, Any]], label: str) -> dict[str, float]:
    return {r["metric"].get(label, ""): float(r["value"][1]) for r in result}


def wait_for(base: str, promql: str, timeout: float = 60.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            result = query(base, promql)
            if result:
                return result
        except OSError as exc:  # Prometheus still starting
            last = exc
        time.sleep(0.25)
    pytest.fail(f"Prometheus never answered {promql!r} ({last})")


def test_prometheus_scrapes_the_genai_metrics(prometheus_url: str) -> None:
    base = prometheus_url
    assert len(wait_for(base, 'up{job="agentotel"} == 1')) == 1
    wait_for(base, "gen_ai_client_operation_duration_seconds_count")

    # Request counts: four answered calls and one the server failed.
    calls = by(
        query(base, "sum by (error_type) (gen_ai_client_operation_duration_seconds_count)"),
        "error_type",
    )
    assert calls == {"": 4.0, "openai.InternalServerError": 1.0}

    # Latency histogram buckets: the advised boundaries, cumulative up to +Inf.
    buckets = by(
        query(base, 'sum by (le) (gen_ai_client_operation_duration_seconds_bucket{error_type=""})'),
        "le",
    )
    assert buckets["+Inf"] == 4.0
    assert {"0.01", "0.02", "0.04", "0.08", "81.92"} <= set(buckets)
    ordered = [buckets[le] for le in sorted(buckets, key=float)]
    assert ordered == sorted(ordered)
    (p95,) = query(
        base,
        "histogram_quantile(0.95, sum by (le) (gen_ai_client_operation_duration_seconds_bucket))",
    )
    assert 0 < float(p95["value"][1]) < 81.92

    # Token sums, by type.
    tokens = by(
        query(base, "sum by (gen_ai_token_type) (gen_ai_client_token_usage_sum)"),
        "gen_ai_token_type",
    )
    assert tokens == {"input": 550.0, "output": 72.0}

    # Error rate by error_type: the model error and the tool error.
    errors = by(
        query(
            base,
            'sum by (error_type) (gen_ai_client_operation_duration_seconds_count{error_type!=""})'
            " / ignoring(error_type) group_left"
            " sum(gen_ai_client_operation_duration_seconds_count)",
        ),
        "error_type",
    )
    assert errors == {"openai.InternalServerError": pytest.approx(0.2)}
    tools = by(
        query(base, "sum by (error_type) (gen_ai_execute_tool_duration_seconds_count)"),
        "error_type",
    )
    assert tools == {"": 1.0, "ValueError": 1.0}
    agents = by(
        query(base, "sum by (error_type) (gen_ai_invoke_agent_duration_seconds_count)"),
        "error_type",
    )
    assert agents == {"": 2.0, "openai.InternalServerError": 1.0}

    # Cost: 550 input and 72 output tokens of gpt-4o-mini at $0.15 and $0.60 per million.
    cost = by(
        query(base, "sum by (gen_ai_request_model) (agentotel_gen_ai_client_cost_USD_total)"),
        "gen_ai_request_model",
    )
    assert cost == {"gpt-4o-mini": pytest.approx((550 * 0.15 + 72 * 0.60) / 1e6)}

    # The resource, and the documented panels evaluate.
    (target,) = query(base, "target_info")
    assert target["metric"]["service_name"] == "converter-app"
    for promql in PANELS.values():
        query(base, promql)
