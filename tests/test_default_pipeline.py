"""``agentotel.instrument()`` end to end: its own pipeline, a real OTLP/HTTP receiver, a real SDK."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

ROOT = Path(__file__).resolve().parents[1]


class Collector:
    """A loopback OTLP/HTTP receiver that decodes traces and metrics by path."""

    def __init__(self) -> None:
        self.traces: list[ExportTraceServiceRequest] = []
        self.metrics: list[ExportMetricsServiceRequest] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                if self.headers.get("content-encoding") == "gzip":
                    import gzip

                    body = gzip.decompress(body)
                if self.path.endswith("/v1/traces"):
                    collector.traces.append(ExportTraceServiceRequest.FromString(body))
                elif self.path.endswith("/v1/metrics"):
                    collector.metrics.append(ExportMetricsServiceRequest.FromString(body))
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def collector() -> Iterator[Collector]:
    server = Collector()
    yield server
    server.close()


APP = """
import httpx2, openai, agentotel
from agentotel.testing import Reply, ScriptedModel, mock_transport

handle = agentotel.instrument()
client = openai.OpenAI(api_key="sk-secret", http_client=httpx2.Client(
    transport=mock_transport(ScriptedModel([Reply(text="hi", input_tokens=7, output_tokens=2)]))))
client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
print(type(handle.tracer_provider._active_span_processor._span_processors[0]).__module__)
"""


def test_instrument_exports_spans_and_metrics_over_otlp(
    collector: Collector, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}",
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
        "OTEL_SERVICE_NAME": "pipeline-test",
        "AGENTOTEL_RUN_ID": "run-123",
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    env.pop("AGENTOTEL_STORE", None)
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(APP)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    # agentotel's own processor is the default, and nothing went to a local store.
    assert result.stdout.strip() == "agentotel.export._processor"
    assert not (tmp_path / ".agentotel").exists()

    spans = [
        (span, rs.resource)
        for request in collector.traces
        for rs in request.resource_spans
        for ss in rs.scope_spans
        for span in ss.spans
    ]
    assert [s.name for s, _ in spans] == ["chat gpt-4o"]
    resource = {kv.key: kv.value.string_value for kv in spans[0][1].attributes}
    assert resource["service.name"] == "pipeline-test"
    assert resource["agentotel.run.id"] == "run-123"
    assert b"sk-secret" not in b"".join(r.SerializeToString() for r in collector.traces)

    points: dict[str, Any] = {}
    for request in collector.metrics:
        for rm in request.resource_metrics:
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    points.setdefault(metric.name, []).extend(
                        metric.histogram.data_points
                        or metric.sum.data_points
                        or metric.gauge.data_points
                    )
    (duration,) = points["gen_ai.client.operation.duration"][-1:]
    assert duration.count == 1
    tokens = {
        {kv.key: kv.value.string_value for kv in p.attributes}["gen_ai.token.type"]: p.sum
        for p in points["gen_ai.client.token.usage"]
    }
    assert tokens == {"input": 7, "output": 2}
    # The pipeline reports on itself with the SDK self-observability names.
    assert any(name.startswith("otel.sdk.processor.span") for name in points)
