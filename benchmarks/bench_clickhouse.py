"""Time the read commands on the Collector's ClickHouse table, embedded with chdb.

    python benchmarks/bench_clickhouse.py                     # 10M spans (1M traces)
    python benchmarks/bench_clickhouse.py --traces 200000 --sqlite-spans 1000000
    python benchmarks/bench_clickhouse.py --dir /tmp/ch --keep  # reuse a filled directory

Traces are generated inside ClickHouse (INSERT ... SELECT over numbers()) in the
exporter's row format: ten spans each (an agent root, four model calls, four tool
calls, a final model call), stringified attributes, five services and models, twenty
tools, one tool call in a hundred failing, spread over the last seven days. Each
command runs through the CLI entry point (opening the store included), three times;
the query plans of the heaviest statements are printed with ``EXPLAIN indexes = 1``.
With ``--sqlite-spans`` the same commands run on a SQLite store built by
``bench_store.py``'s generator, for comparison. This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from agentotel.cli.main import main as cli
from agentotel.store import clickhouse_client
from agentotel.store.clickhouse import ClickHouseStore
from agentotel.store.clickhouse_target import parse

SPANS_PER_TRACE = 10
DAYS = 7
CHUNK = 100_000  # traces per INSERT

_FILL = """
INSERT INTO {table} (Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind,
    ServiceName, ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration,
    StatusCode, StatusMessage)
SELECT
    fromUnixTimestamp64Nano(toInt64(t0 + if(k = 0, 0, 5000000 + (k - 1) * 110000000))),
    lower(hex(cityHash64(n))) || lower(hex(cityHash64(n, 1))) AS trace_id,
    lower(hex(cityHash64(n, 2, k))),
    if(k = 0, '', lower(hex(cityHash64(n, 2, 0)))),
    '',
    multiIf(k = 0, 'invoke_agent support', k % 2 = 1, concat('chat ', model),
            concat('execute_tool ', tool)),
    if(k % 2 = 1, 'Client', 'Internal'),
    service,
    map('service.name', service, 'agentotel.run.id', concat('run-', toString(intDiv(n, 1000)))),
    'agentotel', '0.1',
    multiIf(
        k = 0, map('gen_ai.operation.name', 'invoke_agent', 'gen_ai.agent.name', 'support'),
        k % 2 = 1, map('gen_ai.operation.name', 'chat', 'gen_ai.provider.name', 'openai',
                       'gen_ai.request.model', model,
                       'gen_ai.usage.input_tokens', toString(200 + cityHash64(n, k) % 2000),
                       'gen_ai.usage.output_tokens', toString(10 + cityHash64(n, k, 1) % 300),
                       'gen_ai.response.finish_reasons', '["stop"]'),
        map('gen_ai.operation.name', 'execute_tool', 'gen_ai.tool.name', tool,
            'gen_ai.tool.call.id', concat('call_', toString(k)))),
    if(k = 0, 1000000000, 20000000 + cityHash64(n, k, 2) % 100000000),
    if(failed, 'Error', 'Unset'),
    if(failed, 'tool failed', '')
FROM (
    SELECT number AS n, arrayJoin(range({spans})) AS k,
        {now_ns} - ({total} - 1 - n) * {gap_ns} AS t0,
        concat('svc-', toString(n % 5)) AS service,
        ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4', 'gemini-2.5-flash', 'gpt-4.1'][1 + n % 5]
            AS model,
        concat('tool_', toString(cityHash64(n, k) % 20)) AS tool,
        k > 0 AND k % 2 = 0 AND cityHash64(n, k, 3) % 100 = 0 AS failed
    FROM numbers({first}, {count})
)
"""


def fill(location: str, traces: int) -> float:
    """Generate ``traces`` traces into the table; returns seconds taken."""
    store = ClickHouseStore(parse(location), readonly=False)  # creates the Collector's schema
    client = store._client  # a benchmark drives the engine directly
    assert client is not None
    gap_ns = DAYS * 24 * 3600 * 10**9 // traces
    now_ns = time.time_ns()
    t = time.perf_counter()
    for first in range(0, traces, CHUNK):
        count = min(CHUNK, traces - first)
        client.query(_FILL.format(table=store.table, spans=SPANS_PER_TRACE, now_ns=now_ns,
                                  total=traces, gap_ns=gap_ns, first=first, count=count))  # fmt: skip
        print(f"  {first + count:,} traces", file=sys.stderr, flush=True)
    took = time.perf_counter() - t
    store.close()
    return took


def timed(label: str, args: list[str], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        out = io.StringIO()
        t = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = cli(args)
        times.append(time.perf_counter() - t)
        if code not in (0, 1):  # eval exits 1 when a verdict fails
            raise SystemExit(f"{label}: exit {code}")
    best = min(times)
    print(f"{label:<44} first {times[0] * 1000:8.1f} ms   best {best * 1000:8.1f} ms   "
          f"median {statistics.median(times) * 1000:8.1f} ms")  # fmt: skip
    return best


def commands(store: str, trace_id: str) -> list[tuple[str, list[str]]]:
    s = ["--store", store, "--json"]
    return [
        ("open the store + SELECT 1 (fixed cost)", ["sql", "SELECT 1", *s]),
        ("traces --since 1h --limit 20", ["traces", "--since", "1h", "--limit", "20", *s]),
        ("show ID", ["show", trace_id, *s]),
        ("spans --tool tool_7 --limit 50", ["spans", "--tool", "tool_7", "--limit", "50", *s]),
        ("stats --by model --since 24h", ["stats", "--by", "model", "--since", "24h", *s]),
        (
            "eval (latest 1,000 traces)",
            ["eval", "--since", "7d", "--limit", "1000", "--no-record", *s],
        ),
    ]


def latest_trace(store: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cli(["traces", "--limit", "1", "--json", "--store", store])
    import json

    return str(json.loads(out.getvalue())["traces"][0]["trace_id"])


def explain(location: str) -> None:
    """Print the plans of the statements behind traces, spans and stats."""
    seen: list[str] = []
    original = clickhouse_client.ChdbClient.query

    def record(self: Any, sql: str, settings: dict[str, Any] | None = None) -> Any:
        seen.append(sql)
        return original(self, sql, settings)

    clickhouse_client.ChdbClient.query = record  # type: ignore[method-assign]
    try:
        for args in (["traces", "--since", "1h", "--limit", "20"], ["spans", "--tool", "tool_7"],
                     ["stats", "--by", "model", "--since", "24h"]):  # fmt: skip
            seen.clear()
            with contextlib.redirect_stdout(io.StringIO()):
                cli([*args, "--store", location, "--json"])
            heavy = [q for q in seen if "FROM otel.otel_traces " in q][:2]
            store = ClickHouseStore(parse(location))
            client = store._client
            assert client is not None
            for sql in heavy:
                _, rows = original(client, f"EXPLAIN indexes = 1 {sql}", None)  # type: ignore[arg-type]
                print(f"\n-- agentotel {' '.join(args)}\n{sql.strip()[:300]}...")
                print("\n".join(str(r[0]) for r in rows))
            store.close()
    finally:
        clickhouse_client.ChdbClient.query = original  # type: ignore[method-assign]


def sqlite_side(spans: int, folder: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_store import build  # type: ignore[import-not-found]

    path = folder / "bench.db"
    took = build(path, spans)
    print(f"\nSQLite: {spans:,} spans written in {took:.1f} s")
    for label, args in commands(str(path), latest_trace(str(path))):
        args = [a.replace("tool_7", "search") for a in args]
        timed(label, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--traces", type=int, default=1_000_000, help="traces (10 spans each)")
    parser.add_argument("--dir", help="chdb directory (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the directory")
    parser.add_argument("--sqlite-spans", type=int, default=0, help="also time SQLite at N spans")
    parser.add_argument("--no-explain", action="store_true")
    args = parser.parse_args()
    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="agentotel-ch-"))
    location = f"chdb:{folder}"
    try:
        if not (folder / "store").exists() or not args.dir:
            took = fill(location, args.traces)
            spans = args.traces * SPANS_PER_TRACE
            print(f"chdb: {spans:,} spans generated in {took:.1f} s ({spans / took:,.0f}/s)")
        size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        print(f"chdb directory: {size / 2**20:,.0f} MiB")
        trace_id = latest_trace(location)
        for label, cmd in commands(location, trace_id):
            timed(label, cmd)
        if not args.no_explain:
            explain(location)
        if args.sqlite_spans:
            sqlite_side(args.sqlite_spans, folder)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
