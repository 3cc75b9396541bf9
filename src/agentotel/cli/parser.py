"""The ``agentotel`` argument parser: every subcommand and its options."""

from __future__ import annotations

import argparse
from typing import NoReturn

from agentotel.cli.errors import EXIT_USAGE, fail
from agentotel.store.backend import GROUP_KEYS
from agentotel.version import __version__


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, like every other CLI error."""

    def error(self, message: str) -> NoReturn:
        fail(f"{message} (see '{self.prog} --help')")
        raise SystemExit(EXIT_USAGE)


_WHERE_HELP = (
    "attribute condition: = != ~ (substring) > < >= <=, on an attribute or on operation, "
    "model, tool, agent, error_type, status, name, run, ...; repeatable"
)


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--store",
        metavar="PATH",
        help="trace store file (default: $AGENTOTEL_STORE or .agentotel/traces.db)",
    )
    common.add_argument("--json", action="store_true", help="machine-readable JSON output")

    window = _Parser(add_help=False)
    window.add_argument("--since", metavar="WHEN", help="newer than a duration ago (1h) or a time")
    window.add_argument("--until", metavar="WHEN", help="older than a duration ago or a time")
    window.add_argument("--run", metavar="ID", help="only this run id ('last' for the latest run)")
    window.add_argument("--service", metavar="NAME", help="only this service.name")

    parser = _Parser(
        prog="agentotel",
        description="Inspect what your agent application did, from the local trace store.",
    )
    parser.add_argument("--version", action="version", version=f"agentotel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("traces", parents=[common, window], help="list recent traces")
    p.add_argument(
        "--status", choices=["error", "ok"], help="only traces with (or without) an erring span"
    )
    p.add_argument(
        "--failed", action="store_true", help="only failed runs (the root span is in error)"
    )
    p.add_argument("--limit", type=int, default=20, metavar="N", help="at most N traces (20)")

    p = sub.add_parser("show", parents=[common], help="show one trace as a span tree")
    p.add_argument(
        "trace_id",
        metavar="ID",
        help="a trace id, a span id (its trace, with the span marked), a unique prefix, or 'last'",
    )
    p.add_argument("--no-content", action="store_true", help="hide captured message content")
    p.add_argument(
        "--format",
        choices=["tree", "json", "compact"],
        default=None,
        help="tree (default), json (as --json), or compact: one line per span, long values elided",
    )

    p = sub.add_parser("spans", parents=[common, window], help="find spans")
    p.add_argument("--operation", metavar="OP", help="chat, execute_tool, invoke_agent, ...")
    p.add_argument("--model", metavar="M", help="request or response model")
    p.add_argument("--tool", metavar="T", help="tool name")
    p.add_argument("--agent", metavar="A", help="agent name")
    p.add_argument("--name", metavar="NAME", help="exact span name")
    p.add_argument("--status", choices=["error", "ok"], help="only spans in (or not in) error")
    p.add_argument("--min-duration", metavar="D", help="at least this long (500ms, 2s)")
    p.add_argument("--trace", metavar="ID", help="only spans of this trace (id or prefix)")
    p.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="ATTR=VALUE",
        help=_WHERE_HELP,
    )
    p.add_argument("--limit", type=int, default=50, metavar="N", help="at most N spans (50)")
    p.add_argument("--full", action="store_true", help="include attributes and events in --json")
    p.add_argument(
        "--sort", choices=["start", "duration"], default="start", help="newest or longest first"
    )

    p = sub.add_parser("stats", parents=[common, window], help="latency, errors, tokens, cost")
    p.add_argument(
        "--by",
        default="operation",
        choices=list(GROUP_KEYS),
        help="group by (operation); run and service give per-trace percentiles",
    )
    p.add_argument("--operation", metavar="OP", help="only this operation")
    p.add_argument("--where", action="append", default=[], metavar="ATTR=VALUE", help=_WHERE_HELP)
    p.add_argument("--limit", type=int, default=50, metavar="N", help="at most N groups (50)")

    p = sub.add_parser("export", parents=[common], help="export a trace as OTLP JSON")
    p.add_argument("trace_id", metavar="TRACE_ID", help="a trace id, a unique prefix, or 'last'")
    p.add_argument("--format", default="otlp-json", choices=["otlp-json"], help="(otlp-json)")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")

    p = sub.add_parser("import", parents=[common], help="import OTLP JSON into the store")
    p.add_argument("file", metavar="FILE", help="OTLP JSON file ('-' for stdin)")

    p = sub.add_parser(
        "run",
        help="run a Python program with agentotel instrumentation",
        usage="agentotel run [--store PATH] [--run-id ID] [--] PROGRAM [ARGS ...]",
    )
    p.add_argument("--store", metavar="PATH", help="record into this store file")
    p.add_argument("--run-id", metavar="ID", help="run id for the program and its subprocesses")
    p.add_argument("program", nargs=argparse.REMAINDER, metavar="PROGRAM [ARGS ...]")

    p = sub.add_parser("mcp", help="serve the store read-only to MCP clients (stdio)")
    p.add_argument("--store", metavar="PATH", help="trace store file")

    p = sub.add_parser(
        "schema", parents=[common], help="tables, columns and attribute keys in the store"
    )
    p.add_argument(
        "--sample",
        type=int,
        default=10_000,
        metavar="N",
        help="attribute keys of the N newest spans",
    )

    p = sub.add_parser("sql", parents=[common], help="run one read-only SQL query on the store")
    p.add_argument("query", metavar="SQL", help="one SELECT statement")
    p.add_argument("--limit", type=int, default=1000, metavar="N", help="at most N rows (1000)")
    p.add_argument(
        "--timeout",
        metavar="D",
        help="stop the query after this long (default: $AGENTOTEL_SQL_TIMEOUT or 10s; 0: never)",
    )

    from agentotel.cli.evals_cmd import add_parsers as add_eval_parsers

    add_eval_parsers(sub, common, window)  # eval, compare
    from agentotel.cli.report_cmd import add_parsers as add_report_parsers
    from agentotel.cli.skills_cmd import add_parsers as add_skills_parsers
    from agentotel.cli.view_cmd import add_parsers as add_view_parsers

    add_view_parsers(sub, common)
    from agentotel.cli.clickhouse_cmd import add_parsers as add_clickhouse_parsers

    add_clickhouse_parsers(sub, common)
    add_report_parsers(sub, common)
    add_skills_parsers(sub)
    return parser
