"""``make interop``: run the examples against real backends nobody here wrote, and check what arrives.

Arize Phoenix (traces, read back through its REST API) and oteltap (an OTLP/HTTP receiver for
traces, metrics and logs that prints NDJSON) run from PyPI in their own venv, ``.venv-interop``,
on loopback ports picked at random, with a throwaway working directory. Each example runs with
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` pointing at Phoenix and ``OTEL_EXPORTER_OTLP_ENDPOINT`` at
oteltap (so metrics and logs go there), in its own Phoenix project. For each example the suite
checks the span tree (every parent present), attribute types, the span kinds Phoenix assigns from
the GenAI attributes alone (``chat`` LLM, ``execute_tool`` TOOL, ``invoke_agent`` AGENT), and the
metrics and log records that reach oteltap. It exits 0 with a line saying why when the backends
cannot be installed, 1 on any failed check. See docs/interop.md.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("AGENTOTEL_INTEROP_VENV") or ROOT / ".venv-interop")
BACKENDS = ["arize-phoenix==20.26.*", "oteltap==1.0.*"]
STARTUP_TIMEOUT = float(os.environ.get("AGENTOTEL_INTEROP_STARTUP_TIMEOUT", "300"))

# Example script -> whether it makes model calls (so chat spans and gen_ai.client.* metrics).
EXAMPLES: dict[str, bool] = {
    "quickstart.py": True,
    "anthropic_agent.py": True,
    "handwritten_agent.py": False,
    "mcp_client.py": False,
    "pydantic_ai_agent.py": True,
    "google_genai_agent.py": True,
    "langchain_agent.py": True,
}

# Span-name prefix -> the kind Phoenix must assign from the GenAI attributes.
KINDS = {
    "chat ": "LLM",
    "generate_content ": "LLM",
    "execute_tool ": "TOOL",
    "invoke_agent ": "AGENT",
}
INT_ATTRIBUTES = ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "server.port")
STR_LIST_ATTRIBUTES = ("gen_ai.response.finish_reasons",)
STR_ATTRIBUTES = ("gen_ai.operation.name", "gen_ai.request.model", "gen_ai.provider.name")
GENAI_METRICS = ("gen_ai.client.operation.duration", "gen_ai.client.token.usage")


def say(message: str) -> None:
    print(f"interop: {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_backends() -> str | None:
    """Build the backends' venv on first use; the reason they are unavailable, or None."""
    if (VENV / "bin" / "phoenix").exists() and (VENV / "bin" / "oteltap").exists():
        return None
    say(f"installing {' '.join(BACKENDS)} into {VENV} (first run only)")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, "--upgrade", "pip"], check=False)
        subprocess.run([*pip, *BACKENDS], check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        return f"could not install {' and '.join(BACKENDS)} from PyPI ({exc})"
    return None


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, urllib.error.URLError, ValueError):
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Backends:
    """Phoenix and oteltap, running."""

    workdir: Path
    phoenix_port: int = field(default_factory=free_port)
    tap_port: int = field(default_factory=free_port)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def tap_file(self) -> Path:
        return self.workdir / "oteltap.ndjson"

    def start(self) -> None:
        env = {
            **os.environ,
            "PHOENIX_WORKING_DIR": str(self.workdir / "phoenix"),
            "PHOENIX_HOST": "127.0.0.1",
            "PHOENIX_PORT": str(self.phoenix_port),
            "PHOENIX_GRPC_PORT": str(free_port()),
            # No pixels, fonts or downloads, no assistant: Phoenix must not reach the network.
            "PHOENIX_TELEMETRY_ENABLED": "false",
            "PHOENIX_ALLOW_EXTERNAL_RESOURCES": "false",
            "PHOENIX_DISABLE_AGENT_ASSISTANT": "true",
        }
        for key in [k for k in env if k.startswith("OTEL_")]:
            del env[key]
        log = open(self.workdir / "phoenix.log", "wb")  # noqa: SIM115 - lives as long as Phoenix
        self.procs.append(
            subprocess.Popen(
                [str(VENV / "bin" / "phoenix"), "serve"], env=env, stdout=log, stderr=log
            )
        )
        tap_out = open(self.tap_file, "wb")  # noqa: SIM115 - lives as long as oteltap
        tap_err = open(self.workdir / "oteltap.log", "wb")  # noqa: SIM115
        self.procs.append(
            subprocess.Popen(
                [str(VENV / "bin" / "oteltap"), "--port", str(self.tap_port)],
                env=env,
                stdout=tap_out,
                stderr=tap_err,
            )
        )
        wait_until(lambda: port_open(self.tap_port), STARTUP_TIMEOUT, "oteltap")
        wait_until(
            lambda: (
                urllib.request.urlopen(
                    f"http://127.0.0.1:{self.phoenix_port}/healthz", timeout=2
                ).status
                == 200
            ),
            STARTUP_TIMEOUT,
            "Phoenix",
        )

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()

    def phoenix_spans(self, project: str) -> list[dict[str, Any]]:
        spans: list[dict[str, Any]] = []
        cursor = ""
        while True:
            url = f"http://127.0.0.1:{self.phoenix_port}/v1/projects/{project}/spans?limit=1000"
            page = get_json(url + (f"&cursor={cursor}" if cursor else ""))
            spans.extend(page["data"])
            cursor = page.get("next_cursor") or ""
            if not cursor:
                return spans

    def settled_spans(self, project: str, timeout: float = 20.0) -> list[dict[str, Any]]:
        """Phoenix inserts in the background: poll until the count stops changing."""
        deadline = time.monotonic() + timeout
        last = -1
        spans: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            try:
                spans = self.phoenix_spans(project)
            except urllib.error.HTTPError as exc:
                if exc.code != 404:  # the project appears with its first span
                    raise
            if spans and len(spans) == last:
                return spans
            last = len(spans)
            time.sleep(1.0)
        return spans


def tap_records(path: Path, offset: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Metrics and log records oteltap printed after ``offset``."""
    metrics: list[dict[str, Any]] = []
    logs: list[dict[str, Any]] = []
    with open(path, "rb") as fh:
        fh.seek(offset)
        for line in fh.read().decode().splitlines():
            if not line.startswith("{"):
                continue
            record = json.loads(line)
            if "traceId" in record and "spanId" in record and "name" in record:
                continue
            if "body" in record or "severityNumber" in record or "timeUnixNano" in record:
                logs.append(record)
            elif "name" in record:
                metrics.append(record)
    return metrics, logs


def check_spans(spans: list[dict[str, Any]], models: bool) -> list[str]:
    problems: list[str] = []
    if not spans:
        return ["no spans reached Phoenix"]
    ids = {(s["context"]["trace_id"], s["context"]["span_id"]) for s in spans}
    for span in spans:
        parent = span.get("parent_id")
        if parent and (span["context"]["trace_id"], parent) not in ids:
            problems.append(f"{span['name']!r}: parent {parent} missing")
        for prefix, kind in KINDS.items():
            if span["name"].startswith(prefix) and span["span_kind"] != kind:
                problems.append(f"{span['name']!r}: Phoenix kind {span['span_kind']}, want {kind}")
        attrs = span.get("attributes", {})
        for key in INT_ATTRIBUTES:
            if key in attrs and not (
                isinstance(attrs[key], int) and not isinstance(attrs[key], bool)
            ):
                problems.append(f"{span['name']!r}: {key} is {type(attrs[key]).__name__}, want int")
        for key in STR_ATTRIBUTES:
            if key in attrs and not isinstance(attrs[key], str):
                problems.append(f"{span['name']!r}: {key} is {type(attrs[key]).__name__}, want str")
        for key in STR_LIST_ATTRIBUTES:
            value = attrs.get(key)
            if value is not None and not (
                isinstance(value, list) and all(isinstance(v, str) for v in value)
            ):
                problems.append(f"{span['name']!r}: {key} is {value!r}, want a list of str")
    if models and not any(s["span_kind"] == "LLM" for s in spans):
        problems.append("no LLM span")
    return problems


def check_signals(
    metrics: list[dict[str, Any]], logs: list[dict[str, Any]], models: bool
) -> list[str]:
    problems: list[str] = []
    names = {m["name"] for m in metrics}
    if models:
        problems += [f"metric {name} missing" for name in GENAI_METRICS if name not in names]
    if models and not logs:
        problems.append("no GenAI event log records (capture mode SPAN_AND_EVENT)")
    for record in logs:
        if not int(record.get("timeUnixNano") or 0):
            problems.append(
                f"log record {record.get('eventName') or record.get('body')} without timestamp"
            )
    return problems


def run_example(backends: Backends, script: str, models: bool) -> tuple[dict[str, Any], list[str]]:
    project = script.removesuffix(".py")
    env = {
        **os.environ,
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"http://127.0.0.1:{backends.phoenix_port}/v1/traces",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{backends.tap_port}",
        "OTEL_RESOURCE_ATTRIBUTES": f"openinference.project.name={project}",
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_AND_EVENT",
        "AGENTOTEL_STORE": "off",
    }
    env.pop("AGENTOTEL_STRICT", None)
    offset = backends.tap_file.stat().st_size
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script)],
        env=env,
        cwd=backends.workdir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    took = time.monotonic() - started
    problems: list[str] = []
    if result.returncode != 0:
        problems.append(f"exit {result.returncode}: {result.stderr.strip()[-400:]}")
    for line in result.stderr.splitlines():
        if "Failed to export" in line or "Attempting to instrument" in line:
            problems.append(f"stderr: {line.strip()}")
    spans = backends.settled_spans(project)
    problems += check_spans(spans, models)
    time.sleep(0.5)  # oteltap writes as it receives; metrics and logs leave at exit
    metrics, logs = tap_records(backends.tap_file, offset)
    problems += check_signals(metrics, logs, models)
    kinds: dict[str, int] = {}
    for span in spans:
        kinds[span["span_kind"]] = kinds.get(span["span_kind"], 0) + 1
    row = {
        "example": script,
        "seconds": round(took, 1),
        "spans": len(spans),
        "kinds": kinds,
        "metrics": len({m["name"] for m in metrics}),
        "logs": len(logs),
    }
    return row, problems


def main() -> int:
    started = time.monotonic()
    reason = ensure_backends()
    if reason:
        say(f"SKIPPED: {reason}")
        return 0
    only = set(sys.argv[1:])
    failed = 0
    with tempfile.TemporaryDirectory(prefix="agentotel-interop-") as tmp:
        backends = Backends(Path(tmp))
        try:
            backends.start()
        except TimeoutError as exc:
            log = (backends.workdir / "phoenix.log").read_text(errors="replace")[-2000:]
            backends.stop()
            say(f"FAILED: {exc}\n{log}")
            return 1
        up = time.monotonic() - started
        say(f"Phoenix on :{backends.phoenix_port}, oteltap on :{backends.tap_port} ({up:.1f} s)")
        try:
            for script, models in EXAMPLES.items():
                if only and script not in only and script.removesuffix(".py") not in only:
                    continue
                if not (ROOT / "examples" / script).exists():
                    continue
                row, problems = run_example(backends, script, models)
                status = "ok" if not problems else "FAILED"
                say(f"{status} {json.dumps(row)}")
                for problem in problems:
                    say(f"  - {problem}")
                failed += bool(problems)
        finally:
            backends.stop()
    say(f"{'FAILED' if failed else 'passed'} in {time.monotonic() - started:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
