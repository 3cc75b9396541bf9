"""``agentotel eval`` and ``compare`` through the real entry point, on the example agents' traces."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "evals"
CONFIG = EXAMPLE / "agentotel.toml"


def env_for(store: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOTEL_"))}
    env.update(AGENTOTEL_STORE=str(store), NO_COLOR="1", **extra)
    return env


@dataclass
class Done:
    code: int
    out: str
    err: str

    def json(self) -> dict[str, object]:
        return json.loads(self.out)  # type: ignore[no-any-return]


def cli(store: Path, *args: str, cwd: Path | None = None, **extra: str) -> Done:
    proc = subprocess.run(
        [sys.executable, "-m", "agentotel.cli", *args],
        capture_output=True,
        text=True,
        env=env_for(store, **extra),
        cwd=cwd or store.parent,
        timeout=60,
    )
    return Done(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding one run of each example agent: run ids ``before`` and ``after``."""
    folder = tmp_path_factory.mktemp("evals")
    path = folder / "traces.db"
    for script, run_id in (("agent_loop.py", "before"), ("agent_fixed.py", "after")):
        proc = subprocess.run(
            [sys.executable, str(EXAMPLE / script)],
            capture_output=True,
            text=True,
            env=env_for(path, AGENTOTEL_RUN_ID=run_id),
            cwd=folder,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
    return path


def test_the_looping_agent_fails_the_gate(store: Path) -> None:
    done = cli(store, "eval", "--run", "before", "--config", str(CONFIG), "--json")
    assert done.code == 1, done.err
    report = done.json()
    assert report["passed"] is False and report["trace_count"] == 3
    assert report["failed_evaluators"] == ["tool_loops", "steps"]
    loops = next(e for e in report["evaluations"] if e["evaluator"] == "tool_loops")  # type: ignore[union-attr]
    detail = loops["details"][0]
    assert "lookup_order called 8 times with the same arguments" in detail["explanation"]
    assert len(detail["span_ids"]) == 8
    assert report["recorded"] == {"store": 12}  # 4 per-trace evaluators x 3 traces


def test_the_fixed_agent_passes(store: Path) -> None:
    done = cli(store, "eval", "--run", "after", "--config", str(CONFIG))
    assert done.code == 0, done.out + done.err
    assert "PASSED: all 9 evaluators" in done.out
    assert re.search(r"^tool_loops +pass", done.out, re.M)


def test_human_report_explains_failures(store: Path) -> None:
    done = cli(store, "eval", "--run", "before", "--no-record")
    assert done.code == 1
    assert "FAIL tool_loops [trace " in done.out
    assert "FAILED: 1 of 5 evaluators (tool_loops)" in done.out


def test_compare_shows_the_improvement(store: Path) -> None:
    args = ("compare", "--config", str(CONFIG), "--json")
    done = cli(store, *args, "--baseline", "run:before", "--candidate", "run:after")
    assert done.code == 0, done.err
    result = done.json()
    assert result["verdict"] == "improved"
    assert {"loop_rate", "tool_calls", "llm_calls", "tokens.total"} <= set(result["improved"])  # type: ignore[arg-type]
    assert result["regressed"] == []
    worse = cli(store, *args, "--baseline", "after", "--candidate", "before")
    assert worse.code == 1
    assert worse.json()["verdict"] == "regressed"
    human = cli(
        store, "compare", "--config", str(CONFIG), "--baseline", "before", "--candidate", "last"
    )
    assert human.code == 0 and "verdict: IMPROVED" in human.out


def test_results_are_visible_on_the_trace(store: Path) -> None:
    cli(store, "eval", "--run", "before", "--config", str(CONFIG))
    traces = cli(store, "traces", "--run", "before", "--json").json()["traces"]
    shown = cli(store, "show", "--json", traces[0]["trace_id"]).json()  # type: ignore[index]
    root = shown["spans"][0]  # type: ignore[index]
    names = {
        e["attributes"]["gen_ai.evaluation.name"]: e["attributes"]["gen_ai.evaluation.score.label"]
        for e in root["events"]
        if e["name"] == "gen_ai.evaluation.result"
    }
    assert names == {"tool_loops": "fail", "steps": "fail", "tokens": "pass", "cost": "pass"}


def test_otlp_json_file_input(store: Path, tmp_path: Path) -> None:
    traces = cli(store, "traces", "--run", "before", "--json").json()["traces"]
    exported = tmp_path / "trace.json"
    done = cli(store, "export", traces[0]["trace_id"], "-o", str(exported))  # type: ignore[index]
    assert done.code == 0, done.err
    done = cli(tmp_path / "absent.db", "eval", "--file", str(exported), "--json")
    assert done.code == 1
    report = done.json()
    assert report["source"]["file"] == str(exported)  # type: ignore[index]
    assert report["trace_count"] == 1 and report["failed_evaluators"] == ["tool_loops"]


def test_config_errors_exit_2_with_one_line(store: Path, tmp_path: Path) -> None:
    bad = tmp_path / "agentotel.toml"
    bad.write_text("[eval.tool_loops]\nmin_repeats = 'x'\n", encoding="utf-8")
    done = cli(store, "eval", "--config", str(bad))
    assert done.code == 2
    assert done.err.count("\n") == 1
    assert "eval.tool_loops.min_repeats: expected an integer" in done.err
    found = cli(store, "eval", cwd=tmp_path)  # discovered from the working directory
    assert found.code == 2 and "min_repeats" in found.err
    unknown = cli(store, "eval", "-e", "tool_loop")
    assert unknown.code == 2 and "did you mean tool_loops?" in unknown.err
    usage = cli(store, "compare", "--baseline", "x")
    assert usage.code == 2


def test_nothing_to_evaluate_exits_1(store: Path, tmp_path: Path) -> None:
    done = cli(store, "eval", "--run", "no-such-run")
    assert done.code == 1 and "no run 'no-such-run' in the store (recent: after" in done.err
    missing = cli(tmp_path / "nope.db", "eval")
    assert missing.code == 1 and missing.err.startswith("agentotel: no trace store")
    assert "Traceback" not in missing.err
    cmp = cli(store, "compare", "--baseline", "run:nope", "--candidate", "run:after")
    assert cmp.code == 1 and "no run 'nope' in the store" in cmp.err


class _LogsReceiver:
    def __init__(self) -> None:
        self.bodies: list[tuple[str, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                receiver.bodies.append((self.path, self.rfile.read(length)))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def receiver() -> Iterator[_LogsReceiver]:
    r = _LogsReceiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


def test_results_are_exported_over_otlp(store: Path, receiver: _LogsReceiver) -> None:
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    done = cli(
        store, "eval", "--run", "before", "--no-record", OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url
    )
    assert done.code == 1, done.err
    assert receiver.bodies and receiver.bodies[0][0] == "/v1/logs"
    request = ExportLogsServiceRequest()
    request.ParseFromString(receiver.bodies[0][1])
    records = [r for rl in request.resource_logs for sl in rl.scope_logs for r in sl.log_records]
    assert len(records) == 3  # tool_loops on each of the three traces
    first = records[0]
    assert first.event_name == "gen_ai.evaluation.result"
    attrs = {kv.key: kv.value for kv in first.attributes}
    assert attrs["gen_ai.evaluation.name"].string_value == "tool_loops"
    assert attrs["gen_ai.evaluation.score.label"].string_value == "fail"
    assert len(first.trace_id) == 16 and len(first.span_id) == 8
