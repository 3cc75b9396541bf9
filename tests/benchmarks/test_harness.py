"""Fast checks of the peer-benchmark harness pieces that run in this venv (no peer venvs)."""

from __future__ import annotations

import gzip
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from benchmarks.peers import receiver, report, workloads


@pytest.fixture
def sink() -> Iterator[str]:
    server = receiver.serve(0)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


def _get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return dict(json.loads(resp.read()))


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return int(resp.status)


def test_receiver_counts_protobuf_gzip_and_json(sink: str) -> None:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    req = ExportTraceServiceRequest()
    scope = req.resource_spans.add().scope_spans.add()
    for name in ("a", "b"):
        scope.spans.add().name = name
    body = gzip.compress(req.SerializeToString())
    proto = {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"}
    assert _post(f"{sink}/v1/traces", body, proto) == 200
    otlp_json = {
        "resourceMetrics": [
            {"scopeMetrics": [{"metrics": [{"histogram": {"dataPoints": [{}, {}, {}]}}]}]}
        ]
    }
    as_json = {"Content-Type": "application/json"}
    assert _post(f"{sink}/v1/metrics", json.dumps(otlp_json).encode(), as_json) == 200

    stats = _get(f"{sink}/stats")
    assert (stats["requests"], stats["spans"], stats["metric_points"]) == (2, 2, 3)
    assert stats["errors"] == []
    _get(f"{sink}/reset")
    assert _get(f"{sink}/stats")["spans"] == 0


def test_workloads_drive_the_real_sdks_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("openai")
    pytest.importorskip("anthropic")
    monkeypatch.setenv("ANTHROPIC_OPEN_TELEMETRY", "false")
    chat = workloads.build("openai_chat")()
    assert chat.choices[0].message.content == "The capital of France is Paris."  # type: ignore[attr-defined]
    # 1 role chunk + 50 content chunks + finish chunk + usage chunk.
    assert workloads.build("openai_stream")() == workloads.STREAM_CHUNKS + 3
    message = workloads.build("anthropic_messages")()
    assert message.content[0].text == "The capital of France is Paris."  # type: ignore[attr-defined]


def test_google_genai_workload_drives_the_real_sdk_offline() -> None:
    pytest.importorskip("google.genai")
    response: Any = workloads.build("google_genai_generate")()
    assert response.text == "The capital of France is Paris."
    assert response.usage_metadata.prompt_token_count == 24


def test_langchain_workload_runs_one_tool_turn() -> None:
    pytest.importorskip("langchain.agents")
    pytest.importorskip("langchain_openai")
    state: Any = workloads.build("langchain_agent")()
    kinds = [type(m).__name__ for m in state["messages"]]
    assert kinds == ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage"]
    assert "sunny" in state["messages"][-1].content


def _result(
    peer: str, pipeline: str, added: float, workload: str = "openai_chat", base: float = 2500.0
) -> dict[str, Any]:
    return {
        "peer": peer,
        "workload": workload,
        "pipeline": pipeline,
        "mode": "paired",
        "added_cpu_us": {"median": added, "min": added * 0.8, "max": added * 1.2},
        "base_cpu_us": base,
        "added_ratio": added / base,
        "wall_added_us": {"p50": added, "p99": added * 2},
        "census": {"spans_per_call": 1.0, "metric_points": 3, "bytes_per_call": 1000.0},
        "rss_kb": 80_000,
        "import_total_s": 2.0,
    }


def _data() -> dict[str, Any]:
    peer_info = {"versions": {"openai": "3.54.0"}, "notes": []}
    return {
        "info": {
            "date": "2026-11-24 00:00 UTC",
            "machine": {
                "cpu": "CPU",
                "cores": 2,
                "memory": "24 GiB",
                "os": "Linux",
                "python": "3.11",
            },
            "settings": {"rounds": 8, "pairs": 4, "block_cpu_s": 0.3, "quick": False},
            "peers": {
                "agentotel": {"label": "agentotel", **peer_info},
                "otel_genai": {"label": "OTel GenAI (official)", **peer_info},
                "logfire": {"label": "Logfire", **peer_info},
            },
            "baseline_rss_kb": {"openai_chat": 70_000},
            "baseline_import_s": {"openai_chat": 1.5},
        },
        "results": [
            _result("agentotel", "common", 300.0),
            _result("agentotel", "default", 100.0),
            _result("otel_genai", "common", 900.0),
            _result("logfire", "common", 700.0),
            _result("logfire", "default", 1000.0),
            {
                "peer": "logfire",
                "workload": "langchain_agent",
                "pipeline": "common",
                "unsupported": "x",
            },
        ],
    }


def test_target_uses_each_peers_recommended_pipeline() -> None:
    t = report.target(_data())
    assert t is not None
    # Logfire's own pipeline (1000) counts for Logfire, so the cheapest peer is OTel GenAI.
    assert (t["cheapest_peer"], t["cheapest_peer_us"], t["agentotel_us"]) == (
        "otel_genai",
        900.0,
        100.0,
    )
    assert t["factor"] == pytest.approx(9.0)
    assert t["met"] is True


def test_target_compares_each_job_to_its_own_uninstrumented_call() -> None:
    """Jobs run minutes apart: a machine 30% faster during agentotel's job must not count."""
    data = _data()
    data["results"][1] = _result("agentotel", "default", 70.0, base=1750.0)
    t = report.target(data)
    assert t is not None
    # 70/1750 = 0.04 of the call vs 900/2500 = 0.36: a factor of 9, not 900/70 = 12.9.
    assert t["factor"] == pytest.approx(9.0)


def test_markdown_tables_and_docs_region_are_replaced(tmp_path: Path) -> None:
    data = _data()
    text = report.markdown(data)
    assert "| agentotel | 100 (80 to 120) |" in text
    assert "| Logfire | 1,000 (800 to 1,200) | n/a |" in text
    assert "**Target**" in text and "met" in text

    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nIntro.\n")
    report.write_docs(data, doc)
    report.write_docs(data, doc)
    written = doc.read_text()
    assert written.count(report.BEGIN) == 1 and written.startswith("# Benchmarks\n\nIntro.")
