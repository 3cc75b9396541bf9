"""``agentotel mcp``: the query operations as MCP tools over stdio, read-only.

A coding agent connected to this server can list traces, open one, find spans,
aggregate stats and run read-only SQL, getting the same JSON as ``--json``.
The store is opened per call, so traces recorded while the server runs show up.
Needs the ``mcp`` package (2.x), imported only when the server starts.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from agentotel import query
from agentotel.query.compact import compact_dict, fit
from agentotel.store.errors import StoreError

try:
    from pydantic import Field as _Field

    def _d(text: str) -> Any:
        return _Field(description=text)

except ImportError:  # pragma: no cover - mcp brings pydantic

    def _d(text: str) -> Any:
        return text


INSTRUCTIONS = """\
Read-only access to agentotel's local trace store: what an AI agent application did at runtime.
What failed and why: list_traces(failed=true), then show_trace on an id (a trace or span id, a
unique prefix, or "last"); show_trace is compact by default (one line per span, long values
elided with the call that reads them whole). Which tools err: trace_stats(by="tool") or
evaluate(). Where it loops: evaluate(evaluators=["tool_loops"]). What it cost:
trace_stats(by="run") or run_sql over span_costs. What is slow: find_spans(sort="duration").
compare(baseline, candidate) says whether a change helped. schema() lists tables, columns and
attribute keys; find_spans where: ["key=value"] (also != ~ > < >= <=). Times are ISO-8601 UTC,
durations milliseconds, ids lowercase hex. Answers longer than max_chars are cut, saying so."""

MAX_CHARS = 20_000
"""Default size budget of an answer (characters of JSON)."""


Status = Literal["error", "ok"]
Sort = Literal["start", "duration"]
GroupBy = Literal[
    "operation", "model", "tool", "agent", "provider", "service", "run", "name", "error_type"
]
Format = Literal["compact", "full"]
Budget = Annotated[int, _d("cut the answer to about this many characters of JSON (0: no limit)")]


class Tools:
    """The tool implementations, bound to one store path."""

    def __init__(self, path: str | Path | None, error: type[Exception] = ValueError) -> None:
        self.path = path
        self.error = error

    @contextlib.contextmanager
    def _open(self) -> Iterator[query.Query]:
        """The store, read-only; expected failures become the tool error the client sees."""
        try:
            with query.open(self.path) as q:
                yield q
        except (StoreError, LookupError, ValueError) as exc:
            message = str(exc.args[0]) if isinstance(exc, LookupError) and exc.args else str(exc)
            raise self.error(message) from None

    def list_traces(
        self,
        since: Annotated[
            str | None, _d("only traces newer than this: a duration ago (1h) or a time")
        ] = None,
        run: Annotated[str | None, _d("only this run id ('last', 'previous')")] = None,
        service: Annotated[str | None, _d("only this service.name")] = None,
        status: Annotated[
            Status | None, _d("'error' for traces where any span erred, 'ok' for the rest")
        ] = None,
        limit: Annotated[int, _d("at most this many traces")] = 20,
        failed: Annotated[bool, _d("only failed runs: traces whose root span is in error")] = False,
        max_chars: Budget = MAX_CHARS,
    ) -> dict[str, Any]:
        """List recent traces, newest first: status (the root span's), root, duration, calls, tokens, cost, errors."""
        with self._open() as q:
            found = q.traces(
                since=since, run=run, service=service, status=status, limit=limit, failed=failed
            )
            payload = {"traces": [t.to_dict() for t in found]}
            return fit(payload, "traces", max_chars, "ask for fewer (limit) or narrow by run/since")

    def show_trace(
        self,
        trace_id: Annotated[
            str,
            _d("a trace id, a span id (its trace, that span marked), a unique prefix, or 'last'"),
        ],
        format: Annotated[
            Format,
            _d(
                "'compact': one line per span, long values elided; 'full': every attribute and event"
            ),
        ] = "compact",
        max_chars: Budget = MAX_CHARS,
    ) -> dict[str, Any]:
        """One trace: its summary (status, error_type, totals) and every span in tree order."""
        with self._open() as q:
            trace = q.trace(trace_id)
            if format == "full":
                payload = trace.to_dict()
                hint = "use format='compact', or find_spans(trace_id=..., full=true) for some spans"
                return fit(payload, "spans", max_chars, hint)
            hint = "find_spans(trace_id=..., where=[...]) reads the rest"
            return fit(compact_dict(trace, mcp=True), "lines", max_chars, hint)

    def find_spans(
        self,
        operation: Annotated[
            str | None, _d("chat, execute_tool, invoke_agent, embeddings, ...")
        ] = None,
        model: Annotated[str | None, _d("request or response model")] = None,
        tool: Annotated[str | None, _d("tool name")] = None,
        agent: Annotated[str | None, _d("agent name")] = None,
        status: Annotated[Status | None, _d("'error' or 'ok'")] = None,
        min_duration: Annotated[str | None, _d("at least this long, e.g. '500ms' or '2s'")] = None,
        trace_id: Annotated[str | None, _d("only spans of this trace")] = None,
        where: Annotated[
            list[str] | None, _d("attribute conditions like 'gen_ai.request.model=gpt-4o'")
        ] = None,
        since: Annotated[str | None, _d("newer than a duration ago (1h) or a time")] = None,
        run: Annotated[str | None, _d("only this run id ('last', 'previous')")] = None,
        limit: Annotated[int, _d("at most this many spans")] = 50,
        full: Annotated[bool, _d("include attributes and events")] = False,
        sort: Annotated[Sort, _d("'start' (newest first) or 'duration' (longest first)")] = "start",
        max_chars: Budget = MAX_CHARS,
    ) -> dict[str, Any]:
        """Find spans matching every given filter, newest first (where: = != ~ > < >= <=)."""
        with self._open() as q:
            spans = q.spans(
                operation=operation,
                model=model,
                tool=tool,
                agent=agent,
                status=status,
                min_duration=min_duration,
                trace=trace_id,
                where=where,
                since=since,
                run=run,
                limit=limit,
                full=full,
                sort=sort,
            )
            payload = {"spans": [s.to_dict(full=full) for s in spans]}
            return fit(payload, "spans", max_chars, "narrow the filters or lower limit")

    def trace_stats(
        self,
        by: Annotated[GroupBy, _d("what to group spans by")] = "operation",
        since: Annotated[str | None, _d("newer than a duration ago (1h) or a time")] = None,
        run: Annotated[str | None, _d("only this run id ('last', 'previous')")] = None,
        service: Annotated[str | None, _d("only this service.name")] = None,
        operation: Annotated[str | None, _d("only this operation")] = None,
        where: Annotated[list[str] | None, _d("span conditions like 'tool=search'")] = None,
        limit: Annotated[int, _d("at most this many groups")] = 50,
    ) -> dict[str, Any]:
        """Per group: traces, spans, errors, total time, p50/p95/p99 per span kind, tokens, cost."""
        with self._open() as q:
            groups = q.stats(
                by=by,
                since=since,
                run=run,
                service=service,
                operation=operation,
                where=where,
                limit=limit,
            )
            return {"by": by, "groups": [g.to_dict() for g in groups]}

    def export_trace(
        self,
        trace_id: Annotated[str, _d("a trace id, a unique prefix of one, or 'last'")],
    ) -> dict[str, Any]:
        """One trace as OTLP JSON (an ExportTraceServiceRequest)."""
        with self._open() as q:
            return q.export_otlp(trace_id)

    def run_sql(
        self,
        sql: Annotated[str, _d("one read-only SELECT (tables and columns: see this tool's text)")],
        limit: Annotated[int, _d("at most this many rows")] = 200,
        max_chars: Budget = MAX_CHARS,
    ) -> dict[str, Any]:
        """Run one read-only SQL statement on the store (it is opened read-only)."""
        with self._open() as q:
            return fit(q.sql(sql, limit=limit).to_dict(), "rows", max_chars, "lower limit")

    def schema(
        self,
        sample: Annotated[int, _d("attribute keys of this many newest spans")] = 10_000,
    ) -> dict[str, Any]:
        """Tables and columns for run_sql, the fields and operators find_spans' where takes,
        and the attribute keys seen on spans with how many spans carry each and examples."""
        with self._open() as q:
            return q.schema(sample=max(1, sample))

    def evaluate(
        self,
        run: Annotated[
            str | None, _d("a run id, 'last' or 'previous' (default: the latest run)")
        ] = None,
        since: Annotated[str | None, _d("only traces newer than a duration ago or a time")] = None,
        trace_ids: Annotated[list[str] | None, _d("only these traces (ids or prefixes)")] = None,
        commit: Annotated[str | None, _d("only traces recorded at this commit (prefix)")] = None,
        evaluators: Annotated[
            list[str] | None, _d("only these evaluators, e.g. ['tool_loops', 'run_failures']")
        ] = None,
        config: Annotated[str | None, _d("agentotel.toml or pyproject.toml to use")] = None,
        limit: Annotated[int | None, _d("at most this many traces (1000)")] = None,
    ) -> dict[str, Any]:
        """Run the quality gate (what `agentotel eval --json` returns): failed runs, tool and
        model error rates, loops, steps, latency, tokens, cost; each finding names its trace
        and span. Nothing is recorded."""
        from agentotel.cli.evals_cmd import build_report

        args = argparse.Namespace(
            store=str(self.path) if self.path else None, config=config, no_config=False,
            file=None, evaluator=evaluators or [], run=run, since=since, until=None,
            service=None, commit=commit, trace=trace_ids or [], limit=limit,
        )  # fmt: skip
        with self._errors():
            report, _ = build_report(args)
            return report.to_dict()

    def compare(
        self,
        baseline: Annotated[
            str, _d("the 'before' traces: run:ID, 'previous', commit:SHA, since:1h")
        ],
        candidate: Annotated[str, _d("the 'after' traces: run:ID, 'last', commit:SHA, ...")],
        metrics: Annotated[list[str] | None, _d("only these metrics")] = None,
        config: Annotated[str | None, _d("agentotel.toml or pyproject.toml to use")] = None,
        limit: Annotated[int | None, _d("at most this many traces per side (1000)")] = None,
    ) -> dict[str, Any]:
        """Compare two sets of traces (what `agentotel compare --json` returns): per metric the
        delta, effect size, p-value and sample sizes, paired by input when both ran the same
        inputs, with an improved/regressed/unchanged/inconclusive verdict."""
        from agentotel.cli.evals_cmd import build_comparison

        args = argparse.Namespace(
            store=str(self.path) if self.path else None, config=config, no_config=False,
            baseline=baseline, candidate=candidate, metric=metrics or [], limit=limit,
        )  # fmt: skip
        with self._errors():
            return build_comparison(args).to_dict()

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """Expected failures of eval and compare as the tool error the client sees."""
        from agentotel.cli.errors import CliError

        try:
            yield
        except (StoreError, LookupError, ValueError, CliError) as exc:
            message = str(exc.args[0]) if isinstance(exc, LookupError) and exc.args else str(exc)
            raise self.error(message) from None


TOOL_NAMES = (
    "list_traces", "show_trace", "find_spans", "trace_stats", "export_trace", "run_sql",
    "schema", "evaluate", "compare",
)  # fmt: skip


def sql_description() -> str:
    """run_sql's description, with the tables and columns a statement can read."""
    from agentotel.store.schema import readable_tables

    tables = "; ".join(f"{t}({', '.join(cols)})" for t, cols in readable_tables().items())
    return (
        "Run one read-only SQL statement (SQLite) on the store. Tables: "
        f"{tables}. span_data.span_id = spans.id. Times are ns since the epoch; "
        "span_data.attributes is JSON "
        "(json_extract(attributes, '$.\"gen_ai.tool.name\"'))."
    )


def build_server(path: str | Path | None) -> Any:
    """An ``MCPServer`` exposing :class:`Tools` (requires mcp 2.x)."""
    try:
        from mcp.server.mcpserver import MCPServer
    except ImportError as exc:
        from agentotel.cli.errors import CliError

        raise CliError(
            f"agentotel mcp needs the mcp package 2.x (pip install 'agentotel[mcp]'): {exc}"
        ) from None
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.types import ToolAnnotations

    from agentotel.version import __version__

    server = MCPServer(
        name="agentotel",
        version=__version__,
        instructions=INSTRUCTIONS,
        log_level="WARNING",
    )
    tools = Tools(path, ToolError)
    read_only = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)
    for name in TOOL_NAMES:
        description = sql_description() if name == "run_sql" else None
        server.add_tool(
            getattr(tools, name), name=name, description=description, annotations=read_only
        )
    return server


def serve(path: str | Path | None) -> int:
    """Run the server on stdin/stdout until the client disconnects."""
    server = build_server(path)
    server.run("stdio")
    return 0
