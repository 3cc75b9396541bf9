"""``agentotel clickhouse``: advice for a ClickHouse store, printed, never applied."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from agentotel import semconv


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "clickhouse", parents=[common], help="optional indexes for a ClickHouse store (printed)"
    )
    p.add_argument(
        "--suggest-indexes",
        action="store_true",
        help="print ALTER TABLE statements that speed up agentotel's filters (never run)",
    )
    p.set_defaults(handler=run)


def suggestions(table: str) -> list[str]:
    """Skip indexes on the attributes agentotel filters by, which the Collector does not create.

    Each ADD INDEX is followed by MATERIALIZE INDEX, which builds it for parts already
    written (new parts get it as they are inserted).
    """
    out: list[str] = []
    for name, key, kind in (
        ("agentotel_tool", semconv.GEN_AI_TOOL_NAME, "bloom_filter(0.01) GRANULARITY 1"),
        ("agentotel_operation", semconv.GEN_AI_OPERATION_NAME, "set(32) GRANULARITY 1"),
        ("agentotel_model", semconv.GEN_AI_REQUEST_MODEL, "bloom_filter(0.01) GRANULARITY 1"),
        ("agentotel_agent", semconv.GEN_AI_AGENT_NAME, "bloom_filter(0.01) GRANULARITY 1"),
    ):
        out.append(f"ALTER TABLE {table} ADD INDEX IF NOT EXISTS {name} "
                   f"SpanAttributes['{key}'] TYPE {kind};")  # fmt: skip
        out.append(f"ALTER TABLE {table} MATERIALIZE INDEX {name};")
    return out


def run(args: argparse.Namespace) -> int:
    from agentotel.cli.errors import EXIT_OK, EXIT_USAGE, CliError
    from agentotel.store.clickhouse_target import is_clickhouse, parse
    from agentotel.store.settings import default_location

    location = args.store or default_location()
    if not is_clickhouse(location):
        raise CliError(
            "agentotel clickhouse needs --store clickhouse://... or chdb:PATH", EXIT_USAGE
        )
    if not args.suggest_indexes:
        raise CliError("say what to do: --suggest-indexes", EXIT_USAGE)
    target = parse(str(location))
    statements = suggestions(f"{target.database}.{target.table}")
    if args.json:
        from agentotel.cli import render

        render.dump_json({"statements": statements, "applied": False})
    else:
        sys.stdout.write(
            "-- Optional: agentotel never runs these. They index the attributes that\n"
            "-- `spans --tool/--operation/--model/--agent` and `stats` filter by.\n"
            + "\n".join(statements)
            + "\n"
        )
    return EXIT_OK
