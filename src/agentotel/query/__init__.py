"""Ask the local trace store what an agent application did: traces, spans, stats, exports.

The same operations back the ``agentotel`` CLI and its MCP server::

    from agentotel import query

    with query.open() as q:                      # AGENTOTEL_STORE or .agentotel/traces.db
        for t in q.traces(since="1h", status="error"):
            print(t.trace_id, t.root_name, t.error_count)
        trace = q.trace("last")                  # an id, an id prefix, or "last"
        slow = q.spans(operation="execute_tool", min_duration="500ms")
        by_model = q.stats(by="model")

Results are dataclasses with a ``to_dict()`` giving the documented JSON shape.
"""

from __future__ import annotations

from agentotel.query import otlp
from agentotel.query.parse import parse_time, parse_where
from agentotel.query.queries import PriceFn, Query, import_otlp, open
from agentotel.query.results import SqlResult, Trace, tree_order
from agentotel.store.backend import GROUP_KEYS
from agentotel.store.errors import AmbiguousTraceId, TraceNotFound
from agentotel.store.model import GroupStats, Span, TraceSummary

__all__ = [
    "GROUP_KEYS",
    "AmbiguousTraceId",
    "GroupStats",
    "PriceFn",
    "Query",
    "Span",
    "SqlResult",
    "Trace",
    "TraceNotFound",
    "TraceSummary",
    "import_otlp",
    "open",
    "otlp",
    "parse_time",
    "parse_where",
    "tree_order",
]
