"""Build a large trace store and time the queries the CLI runs on it.

    python benchmarks/bench_store.py                 # 1,000,000 spans in a temp dir
    python benchmarks/bench_store.py --spans 200000 --path /tmp/big.db --keep

Spans are synthetic agent traces (an agent span, model calls, tool calls, some
errors, three models, five tools, ten runs) written through the store's own
write path in large batches. It reports the write rate, the file size, and the
time of each query: listing, filters, stats and show are meant to stay well
under a second.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentotel import query, semconv
from agentotel.store.model import Span
from agentotel.store.sqlite import SQLiteStore

MODELS = ("gpt-4o-mini", "gpt-4.1", "claude-sonnet-4-5")
TOOLS = ("search", "get_weather", "read_file", "run_sql", "send_email")


def synthetic_trace(rng: random.Random, start_ns: int, run_id: str, spans: int) -> list[Span]:
    """One agent trace of ``spans`` spans: an agent root, then alternating chat and tool calls."""
    trace_id = f"{rng.getrandbits(128):032x}"
    root_id = f"{rng.getrandbits(64):016x}"
    resource = {semconv.SERVICE_NAME: "bench", semconv.AGENTOTEL_RUN_ID: run_id}
    out: list[Span] = []
    t = start_ns
    for i in range(1, spans):
        span_id = f"{rng.getrandbits(64):016x}"
        if i % 2:
            model = rng.choice(MODELS)
            dur = int(rng.lognormvariate(20.0, 0.6))  # ~500 ms
            attrs: dict[str, Any] = {
                semconv.GEN_AI_OPERATION_NAME: semconv.OP_CHAT,
                semconv.GEN_AI_PROVIDER_NAME: "anthropic"
                if model.startswith("claude")
                else "openai",
                semconv.GEN_AI_REQUEST_MODEL: model,
                semconv.GEN_AI_USAGE_INPUT_TOKENS: rng.randint(200, 4000),
                semconv.GEN_AI_USAGE_OUTPUT_TOKENS: rng.randint(10, 600),
            }
            name = f"chat {model}"
        else:
            tool = rng.choice(TOOLS)
            dur = int(rng.lognormvariate(16.0, 1.0))  # ~9 ms
            attrs = {
                semconv.GEN_AI_OPERATION_NAME: semconv.OP_EXECUTE_TOOL,
                semconv.GEN_AI_TOOL_NAME: tool,
                semconv.GEN_AI_TOOL_CALL_ID: f"call_{span_id[:8]}",
            }
            name = f"execute_tool {tool}"
        error = rng.random() < 0.02
        if error:
            attrs[semconv.ERROR_TYPE] = "TimeoutError"
        out.append(
            Span(
                trace_id, span_id, root_id, name, "client" if i % 2 else "internal",
                t, t + dur, "error" if error else "unset", attributes=attrs, resource=resource,
                scope_name="bench",
            ).fill_facts()
        )  # fmt: skip
        t += dur + 1000
    root = Span(
        trace_id, root_id, None, "invoke_agent bench", "internal", start_ns, t, "unset",
        attributes={semconv.GEN_AI_OPERATION_NAME: semconv.OP_INVOKE_AGENT,
                    semconv.GEN_AI_AGENT_NAME: "bench"},
        resource=resource, scope_name="bench",
    ).fill_facts()  # fmt: skip
    return [root, *out]


def build(path: Path, total: int, spans_per_trace: int = 10, batch: int = 5000) -> float:
    """Write ``total`` spans; returns the seconds it took."""
    rng = random.Random(42)
    store = SQLiteStore(path, readonly=False, max_age_s=None, max_bytes=None)
    now = time.time_ns()
    span_ns = 24 * 3600 * 10**9 // max(1, total // spans_per_trace)  # spread over the last day
    pending: list[Span] = []
    began = time.perf_counter()
    written = 0
    n = 0
    while written + len(pending) < total:
        start = now - 24 * 3600 * 10**9 + n * span_ns
        pending += synthetic_trace(rng, start, f"run-{n % 10}", spans_per_trace)
        n += 1
        if len(pending) >= batch:
            written += store.write(pending)
            pending = []
    written += store.write(pending)
    store.close()
    return time.perf_counter() - began


def timed(label: str, fn: Callable[[], Any], repeat: int = 3) -> None:
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        began = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - began)
    size = len(result) if hasattr(result, "__len__") else ""
    print(f"  {label:<52} {best * 1000:8.1f} ms  ({size} rows)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--path", help="store file (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the store afterwards")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="agentotel-bench-"))
    path = Path(args.path) if args.path else folder / "traces.db"
    if not path.exists():
        seconds = build(path, args.spans)
        print(
            f"built {args.spans:,} spans in {seconds:.1f} s ({args.spans / seconds:,.0f} spans/s)"
        )
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    print(f"store {path}: {size / 2**20:.0f} MiB")

    with query.open(path) as q:
        some_trace = q.traces(limit=1)[0].trace_id
        print("queries (best of 3):")
        timed("traces (latest 20)", lambda: q.traces())
        timed("traces --since 1h", lambda: q.traces(since="1h"))
        timed("traces --status error --limit 50", lambda: q.traces(status="error", limit=50))
        timed("traces --run run-3", lambda: q.traces(run="run-3"))
        timed("show (one trace)", lambda: q.trace(some_trace).spans)
        timed("spans --operation execute_tool", lambda: q.spans(operation="execute_tool"))
        timed("spans --tool search --status error", lambda: q.spans(tool="search", status="error"))
        timed("spans --min-duration 3s", lambda: q.spans(min_duration="3s"))
        timed("spans --model gpt-4.1", lambda: q.spans(model="gpt-4.1"))
        timed(
            "spans --where gen_ai.tool.call.id=call_x",
            lambda: q.spans(where=["gen_ai.tool.call.id=call_00000000"], limit=5),
            repeat=1,
        )
        timed("stats --since 1h", lambda: q.stats(since="1h"))
        timed("stats --by model --since 1h", lambda: q.stats(by="model", since="1h"))
        timed("stats --by operation (all spans)", lambda: q.stats())
        timed("stats --by model (all spans)", lambda: q.stats(by="model"))
        timed("stats --by tool --run run-3", lambda: q.stats(by="tool", run="run-3"))
    if not args.keep and not args.path:
        shutil.rmtree(folder, ignore_errors=True)
    elif args.keep:
        print(f"kept {path}")
    os.environ.pop("AGENTOTEL_STORE", None)


if __name__ == "__main__":
    main()
