"""Measure one peer on one workload inside the peer's venv and print one JSON result line.

Modes:
* ``paired``: instrument/uninstrument blocks alternate in this process (ABBA order), each
  instrumented block paired with its neighbouring uninstrumented one.
* ``base`` / ``inst``: this process runs only uninstrumented / only instrumented blocks; the
  harness alternates such fresh processes for peers whose uninstrument() does not undo them.

A block is timed with ``time.process_time()`` (all threads, so the batch processor's export
thread counts) and ends with a force-flush of traces and logs inside the timed window, so the
export of the block's own spans is charged to it. Metrics are flushed only after instrumented
blocks: a cumulative reader would otherwise re-export earlier series during baseline blocks.

Garbage collection is charged to the block that made the garbage: after warm-up everything
alive is frozen (``gc.freeze()``), and each block ends, inside the timed window, with a full
collection, which then walks only the objects created since the freeze. Collecting *before*
each block, outside the window, would hide the cost of whatever a block leaves for the cyclic
collector (spans waiting in a batch queue are promoted to older generations) and restart every
block with empty young generations.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
import time
import traceback
import urllib.request
from typing import Any

os.environ.setdefault("ANTHROPIC_OPEN_TELEMETRY", "false")
os.environ.setdefault("OTEL_METRIC_EXPORT_INTERVAL", "600000")
os.environ.setdefault("OTEL_SDK_DISABLED", "false")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import adapters
import workloads


def _sink(endpoint: str, path: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{endpoint}{path}", timeout=30) as resp:
        return dict(json.loads(resp.read()))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    idx = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[idx]


def _block(
    call: workloads.Call, n: int, flush: Any, instrumented: bool
) -> tuple[float, list[float]]:
    walls: list[float] = []
    cpu0 = time.process_time()
    for _ in range(n):
        w0 = time.perf_counter()
        call()
        walls.append(time.perf_counter() - w0)
    flush(metrics=instrumented)
    gc.collect()  # inside the window: this block's garbage is this block's cost
    return (time.process_time() - cpu0) / n, walls


def _census(call: workloads.Call, n: int, flush: Any, endpoint: str) -> dict[str, Any]:
    flush(metrics=True)
    _sink(endpoint, "/reset")
    for _ in range(n):
        call()
    flush(metrics=True)
    stats = _sink(endpoint, "/stats")
    return {
        "spans_per_call": stats["spans"] / n,
        "metric_points": stats["metric_points"],
        "log_records_per_call": stats["log_records"] / n,
        "bytes_per_call": stats["bytes"] / n,
        "errors": stats["errors"][:3],
    }


def run(cfg: dict[str, Any]) -> dict[str, Any]:
    peer, workload, mode = cfg["peer"], cfg["workload"], cfg["mode"]
    endpoint, rounds = cfg["endpoint"], int(cfg["rounds"])
    out: dict[str, Any] = {
        "peer": peer,
        "workload": workload,
        "mode": mode,
        "pipeline": cfg["pipeline"],
    }

    t0 = time.perf_counter()
    for module in workloads.SDK_MODULES[workload]:
        __import__(module)
    import opentelemetry.sdk.trace  # noqa: F401
    from opentelemetry.exporter.otlp.proto.http import trace_exporter  # noqa: F401

    out["sdk_import_s"] = time.perf_counter() - t0
    if mode == "import":
        # Fresh process: SDK import time here includes anything the peer's packages hook into
        # it (entry-point plugins), and the instrumentation import is timed after it.
        t0 = time.perf_counter()
        try:
            adapters.make(peer, workload).import_instrumentation()
        except adapters.Unsupported as exc:
            out["unsupported"] = str(exc)
        out["import_s"] = time.perf_counter() - t0
        return out

    call = workloads.build(workload)
    adapter = adapters.make(peer, workload)

    # Size blocks to about `block_cpu` seconds of uninstrumented CPU.
    for _ in range(5):
        call()
    t0 = time.process_time()
    probe = 0
    while time.process_time() - t0 < 0.15 or probe < 3:
        call()
        probe += 1
    per_call = (time.process_time() - t0) / probe
    n = max(3, round(float(cfg.get("block_cpu", 0.4)) / per_call))
    out["calls_per_block"] = n

    instrumented = mode in ("paired", "inst")
    if instrumented:
        t0 = time.perf_counter()
        try:
            adapter.import_instrumentation()
        except adapters.Unsupported as exc:
            out["unsupported"] = str(exc)
            return out
        out["import_s"] = time.perf_counter() - t0
        adapter.setup(cfg["pipeline"], endpoint)
    else:
        adapter.pipeline = adapters.sdk_pipeline(endpoint)
    flush = adapter.pipeline.flush

    if mode == "inst":
        adapter.instrument()
    for _ in range(int(cfg.get("warmup_blocks", 1))):
        _block(call, n, flush, instrumented)  # warm caches, JIT-free but first-call paths
        if mode == "paired":
            adapter.instrument()
            _block(call, n, flush, True)
            adapter.uninstrument()
    # Objects alive now (modules, clients, providers) are not the blocks' garbage: freeze them
    # so that the collection ending each block walks only what the blocks created.
    gc.collect()
    gc.freeze()

    blocks: list[dict[str, Any]] = []
    walls: dict[str, list[float]] = {"base": [], "inst": []}
    for r in range(rounds):
        order: tuple[str, ...]
        if mode == "paired":
            order = ("base", "inst") if r % 2 == 0 else ("inst", "base")
        else:
            order = (mode,)
        for kind in order:
            if mode == "paired" and kind == "inst":
                adapter.instrument()
            cpu, w = _block(call, n, flush, kind == "inst")
            if mode == "paired" and kind == "inst":
                adapter.uninstrument()
            blocks.append({"round": r, "kind": kind, "cpu_per_call": cpu})
            walls[kind].extend(w)
    out["blocks"] = blocks
    out["wall"] = {
        k: {"p50": _percentile(v, 0.5), "p99": _percentile(v, 0.99), "n": len(v)}
        for k, v in walls.items()
        if v
    }

    census_n = int(cfg.get("census_calls", 5))
    if mode == "paired":
        adapter.instrument()
        out["census"] = _census(call, census_n, flush, endpoint)
        adapter.uninstrument()
        out["leak"] = _census(call, census_n, flush, endpoint)
    elif mode == "inst":
        out["census"] = _census(call, census_n, flush, endpoint)
    out["rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return out


def main() -> None:
    cfg = json.loads(sys.argv[1])
    try:
        result = run(cfg)
    except Exception as exc:
        result = {
            "peer": cfg["peer"],
            "workload": cfg["workload"],
            "mode": cfg["mode"],
            "pipeline": cfg["pipeline"],
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc()[-2000:],
        }
    sys.stdout.flush()
    print("RESULT " + json.dumps(result), flush=True)
    os._exit(0)  # skip exit-time flushes and atexit hooks: they are not part of the benchmark


if __name__ == "__main__":
    main()
