"""Run the peer overhead benchmark: venvs, loopback OTLP sink, workers, report (issue 10).

Usage: ``python benchmarks/peers/run.py [--quick] [--peers a,b] [--workloads x,y] [--no-docs]``.
Writes ``benchmarks/peers/results.json`` and, unless ``--no-docs``, the generated part of
``docs/benchmarks.md`` and the chart ``docs/benchmarks.png``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import report  # noqa: E402
import venvs  # noqa: E402
from catalog import PEERS  # noqa: E402
from workloads import WORKLOADS  # noqa: E402

KEY_PACKAGES = (
    "openai",
    "anthropic",
    "httpx2",
    "langchain",
    "langchain-core",
    "langchain-openai",
    "google-genai",
    "opentelemetry-sdk",
    "opentelemetry-exporter-otlp-proto-http",
    "openai-agents",
)
PEER_PACKAGES = {
    "agentotel": ("agentotel",),
    "openllmetry": (
        "opentelemetry-instrumentation-openai",
        "opentelemetry-instrumentation-anthropic",
        "opentelemetry-instrumentation-langchain",
        "opentelemetry-instrumentation-google-generativeai",
        "opentelemetry-instrumentation-openai-agents",
    ),
    "openinference": (
        "openinference-instrumentation-openai",
        "openinference-instrumentation-anthropic",
        "openinference-instrumentation-langchain",
        "openinference-instrumentation-google-genai",
        "openinference-instrumentation-openai-agents",
    ),
    "otel_genai": (
        "opentelemetry-instrumentation-genai-openai",
        "opentelemetry-instrumentation-genai-anthropic",
        "opentelemetry-instrumentation-genai-langchain",
        "opentelemetry-instrumentation-google-genai",
        "opentelemetry-instrumentation-genai-openai-agents",
        "opentelemetry-util-genai",
    ),
    "traceai": (
        "traceai-openai",
        "traceai-anthropic",
        "traceai-langchain",
        "traceai-google-genai",
        "traceai-openai-agents",
        "fi-instrumentation-otel",
    ),
    "logfire": ("logfire",),
    "openlit": ("openlit",),
}


def machine() -> dict[str, Any]:
    """CPU model, cores, memory, OS and Python, for the report header."""
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
    }


class Sink:
    """The loopback OTLP receiver, in its own process so its CPU is not measured."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "receiver.py"), "0"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        self.endpoint = f"http://127.0.0.1:{line[1]}"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def worker(python: str, cfg: dict[str, Any], timeout: float = 300) -> dict[str, Any]:
    """Run one worker process and parse its RESULT line."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "ANTHROPIC_OPEN_TELEMETRY": "false"}
    # Each peer's defaults as shipped: no exporter or store overrides from the caller's shell.
    for var in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_TRACES_EXPORTER", "AGENTOTEL_STORE"):
        env.pop(var, None)
    try:
        proc = subprocess.run(
            [python, str(HERE / "worker.py"), json.dumps(cfg)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return {**cfg, "error": f"timed out after {timeout:.0f}s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("RESULT "):
            return dict(json.loads(line[7:]))
    return {**cfg, "error": f"no result (exit {proc.returncode}): {proc.stderr.strip()[-400:]}"}


def _spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def paired_job(python: str, base_cfg: dict[str, Any]) -> dict[str, Any]:
    """One process alternating instrumented and uninstrumented blocks."""
    res = worker(python, {**base_cfg, "mode": "paired"})
    if "blocks" not in res:
        return res
    by_round: dict[int, dict[str, float]] = {}
    for block in res["blocks"]:
        by_round.setdefault(block["round"], {})[block["kind"]] = block["cpu_per_call"]
    res["pairs"] = [(r["base"], r["inst"]) for r in by_round.values() if len(r) == 2]
    res["import_total_s"] = _import_total(res)
    return res


def fresh_job(python: str, base_cfg: dict[str, Any], pairs: int) -> dict[str, Any]:
    """Alternate fresh uninstrumented and instrumented processes (ABBA order)."""
    results: dict[str, list[dict[str, Any]]] = {"base": [], "inst": []}
    for i in range(pairs):
        order = ("base", "inst") if i % 2 == 0 else ("inst", "base")
        for mode in order:
            res = worker(python, {**base_cfg, "mode": mode})
            if "error" in res or "unsupported" in res:
                return res
            results[mode].append(res)
    inst0 = results["inst"][0]
    out: dict[str, Any] = {k: v for k, v in inst0.items() if k not in ("blocks", "wall")}
    out["mode"] = "fresh"

    def proc_cpu(res: dict[str, Any]) -> float:
        return float(statistics.median(b["cpu_per_call"] for b in res["blocks"]))

    out["pairs"] = [(proc_cpu(b), proc_cpu(i)) for b, i in zip(results["base"], results["inst"])]
    out["wall"] = {
        kind: {
            q: statistics.median(r["wall"][kind][q] for r in results[kind]) for q in ("p50", "p99")
        }
        for kind in ("base", "inst")
    }
    out["rss_kb"] = statistics.median(r["rss_kb"] for r in results["inst"])
    out["import_total_s"] = statistics.median(_import_total(r) for r in results["inst"])
    return out


def _import_total(res: dict[str, Any]) -> float:
    """SDK + instrumentation import, in a fresh process (plugins the peer hooks in count)."""
    return float(res.get("sdk_import_s") or 0.0) + float(res.get("import_s") or 0.0)


def summarise(res: dict[str, Any]) -> dict[str, Any]:
    """Reduce a job's raw samples to the reported figures (CPU in microseconds per call)."""
    out = {
        k: res.get(k)
        for k in (
            "peer",
            "workload",
            "pipeline",
            "mode",
            "error",
            "unsupported",
            "census",
            "rss_kb",
            "import_total_s",
            "calls_per_block",
        )
    }
    pairs = res.get("pairs") or []
    if pairs:
        added = [(i - b) * 1e6 for b, i in pairs]
        base = [b * 1e6 for b, _ in pairs]
        out["added_cpu_us"] = _spread(added)
        out["base_cpu_us"] = statistics.median(base)
        out["added_ratio"] = statistics.median((i - b) / b for b, i in pairs)
        wall = res.get("wall") or {}
        if "base" in wall and "inst" in wall:
            out["wall_added_us"] = {
                q: (wall["inst"][q] - wall["base"][q]) * 1e6 for q in ("p50", "p99")
            }
    leak = (res.get("leak") or {}).get("spans_per_call")
    if leak:
        out["leak_spans_per_call"] = leak
    if res.get("traceback"):
        out["traceback"] = res["traceback"][-600:]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="a few rounds, for a smoke run")
    ap.add_argument("--peers", default=",".join(p for p in PEERS if p != "baseline"))
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--rounds", type=int, default=8, help="paired rounds per in-process job")
    ap.add_argument("--pairs", type=int, default=4, help="process pairs for fresh-process peers")
    ap.add_argument("--block-cpu", type=float, default=0.3, help="seconds of CPU per block")
    ap.add_argument("--cache", default=os.environ.get("BENCH_VENVS", str(ROOT / ".bench-venvs")))
    ap.add_argument("--results", default=str(HERE / "results.json"))
    ap.add_argument("--no-docs", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.pairs, args.block_cpu = 2, 2, 0.1

    started = time.time()
    cache = Path(args.cache)
    peers = [p for p in args.peers.split(",") if p]
    loads = [w for w in args.workloads.split(",") if w]
    info: dict[str, Any] = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "settings": {
            "rounds": args.rounds,
            "pairs": args.pairs,
            "block_cpu_s": args.block_cpu,
            "quick": args.quick,
        },
        "peers": {},
    }
    print("machine:", json.dumps(info["machine"]), flush=True)

    pythons: dict[str, str] = {}
    for name in ["baseline", *peers]:
        status = venvs.ensure(PEERS[name], cache, ROOT)
        versions = venvs.freeze(str(status["python"])) if status["ok"] else {}
        wanted = KEY_PACKAGES + PEER_PACKAGES.get(name, ())
        info["peers"][name] = {
            "label": PEERS[name].label,
            "install_ok": status["ok"],
            "install_error": status["error"],
            "versions": {k: versions[k] for k in wanted if k in versions},
            "notes": list(PEERS[name].notes),
        }
        if status["ok"]:
            pythons[name] = str(status["python"])
        print(f"venv {name}: ok={status['ok']} {info['peers'][name]['versions']}", flush=True)

    sink = Sink()
    results: list[dict[str, Any]] = []
    try:
        baseline_rss: dict[str, float] = {}
        baseline_import: dict[str, float | None] = {}
        for w in loads:
            res = worker(
                pythons["baseline"],
                {
                    "peer": "baseline",
                    "workload": w,
                    "mode": "base",
                    "pipeline": "common",
                    "endpoint": sink.endpoint,
                    "rounds": 2,
                    "block_cpu": args.block_cpu,
                },
            )
            baseline_rss[w] = res.get("rss_kb", 0)
            baseline_import[w] = res.get("sdk_import_s")
        info["baseline_rss_kb"] = baseline_rss
        info["baseline_import_s"] = baseline_import

        rng = random.Random(10)
        for w in loads:
            order = list(peers)
            rng.shuffle(order)  # spread slow drift of the machine across peers
            for name in order:
                peer = PEERS[name]
                if name not in pythons:
                    results.append(
                        {
                            "peer": name,
                            "workload": w,
                            "pipeline": "common",
                            "error": "install failed: "
                            + info["peers"][name]["install_error"][-300:],
                        }
                    )
                    continue
                for pipeline in ("common", "default") if peer.own_pipeline else ("common",):
                    cfg = {
                        "peer": name,
                        "workload": w,
                        "pipeline": pipeline,
                        "endpoint": sink.endpoint,
                        "rounds": args.rounds if peer.in_process else 2,
                        "block_cpu": args.block_cpu,
                    }
                    t0 = time.time()
                    if peer.in_process:
                        raw = paired_job(pythons[name], cfg)
                    else:
                        raw = fresh_job(pythons[name], cfg, args.pairs)
                    summary = summarise(raw)
                    results.append(summary)
                    added = summary.get("added_cpu_us", {}).get("median")
                    state = (
                        summary.get("error")
                        or summary.get("unsupported")
                        or (f"+{added:.0f} us/call" if added is not None else "?")
                    )
                    print(
                        f"{w:20s} {name:14s} {pipeline:8s} {state}  ({time.time() - t0:.0f}s)",
                        flush=True,
                    )
    finally:
        sink.close()

    info["elapsed_s"] = round(time.time() - started)
    data = {"info": info, "results": results}
    Path(args.results).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(report.console(data), flush=True)
    if not args.no_docs:
        report.write_docs(data, ROOT / "docs" / "benchmarks.md")
        tools_py = venvs.tools(cache) / "bin" / "python"
        subprocess.run(
            [
                str(tools_py),
                str(HERE / "report.py"),
                "chart",
                args.results,
                str(ROOT / "docs" / "benchmarks.png"),
            ],
            check=False,
        )
    print(f"done in {info['elapsed_s']}s; results in {args.results}", flush=True)


if __name__ == "__main__":
    main()
