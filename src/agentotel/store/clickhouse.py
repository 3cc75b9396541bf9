"""A trace backend on the OpenTelemetry Collector's ClickHouse ``otel_traces`` table.

It reads the table exactly as the contrib clickhouseexporter writes it (no table of
agentotel's own), through a ClickHouse server (``clickhouse://``) or chdb in this
process (``chdb:PATH``). Queries aggregate in ClickHouse and return the same
:mod:`agentotel.store.model` records as the SQLite store; span facts are recovered
from the stringified attribute maps by :mod:`agentotel.store.clickhouse_rows`.
Evaluation results are not written back: :meth:`add_events` says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Any

from agentotel import semconv
from agentotel.store import clickhouse_rows as rows
from agentotel.store.clickhouse_client import Client, connect, error_for, literal
from agentotel.store.clickhouse_target import Target
from agentotel.store.errors import InvalidQuery, StoreCorrupt, StoreError, StoreMissing
from agentotel.store.model import (
    LLM_OPERATIONS,
    GroupStats,
    ModelUsage,
    Span,
    SpanEvents,
    SpanFilter,
    TraceFilter,
    TraceSummary,
)

REQUIRED_COLUMNS = (
    "Timestamp", "TraceId", "SpanId", "ParentSpanId", "SpanName", "SpanKind", "ServiceName",
    "ResourceAttributes", "SpanAttributes", "Duration", "StatusCode", "StatusMessage",
    "Events.Timestamp", "Events.Name", "Events.Attributes", "Links.TraceId", "Links.SpanId",
    "Links.Attributes",
)  # fmt: skip
"""Columns every version of the exporter's ``otel_traces`` has (and agentotel reads)."""

_READ_ONLY_START = re.compile(r"^\s*(select|with|describe|desc|show|explain)\b", re.IGNORECASE)
_BATCH = 5_000
_READ_AHEAD = 250
_HOUR_NS = 3600 * 10**9
_WIDEST = 4096 * _HOUR_NS


def _attr(key: str) -> str:
    return f"SpanAttributes[{literal(key)}]"


def _nullable(key: str) -> str:
    return f"nullIf({_attr(key)}, '')"


def _count(key: str) -> str:
    return f"toInt64OrNull({_attr(key)})"


OP = _attr(semconv.GEN_AI_OPERATION_NAME)
LLM_IN = f"{OP} IN ({', '.join(literal(op) for op in LLM_OPERATIONS)})"
IS_ERROR = f"StatusCode IN ({', '.join(literal(w) for w in rows.ERROR_WORDS)})"
MODEL = (f"coalesce({_nullable(semconv.GEN_AI_REQUEST_MODEL)}, "
         f"{_nullable(semconv.GEN_AI_RESPONSE_MODEL)})")  # fmt: skip
START_NS = "toUnixTimestamp64Nano(Timestamp)"
IN_TOKENS = _count(semconv.GEN_AI_USAGE_INPUT_TOKENS)
OUT_TOKENS = _count(semconv.GEN_AI_USAGE_OUTPUT_TOKENS)
CACHE_READ = _count(semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS)
CACHE_CREATION = (f"coalesce({_count(semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS)}, "
                  f"{_count(semconv.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS)})")  # fmt: skip
RUN = f"ResourceAttributes[{literal(semconv.AGENTOTEL_RUN_ID)}]"
REVISION = f"ResourceAttributes[{literal(semconv.VCS_REF_HEAD_REVISION)}]"
TOKEN_SUMS = ", ".join(f"sum(ifNull({e}, 0))" for e in (IN_TOKENS, OUT_TOKENS, CACHE_READ,
                                                         CACHE_CREATION))  # fmt: skip

# stats --by KEY: the grouping expression and the spans that belong in such a group.
GROUPS: dict[str, tuple[str, str | None]] = {
    "operation": (f"nullIf({OP}, '')", None),
    "model": (MODEL, LLM_IN),
    "tool": (_nullable(semconv.GEN_AI_TOOL_NAME), f"{_attr(semconv.GEN_AI_TOOL_NAME)} != ''"),
    "agent": (_nullable(semconv.GEN_AI_AGENT_NAME), f"{OP} = {literal(semconv.OP_INVOKE_AGENT)}"),
    "provider": (_nullable(semconv.GEN_AI_PROVIDER_NAME), LLM_IN),
    "service": ("nullIf(ServiceName, '')", None),
    "run": (f"nullIf({RUN}, '')", None),
    "name": ("SpanName", None),
}

_WHERE_OPS = ("!=", ">=", "<=", "=", ">", "<")
_COLUMNS = {
    "name": "SpanName",
    "trace_id": "TraceId",
    "span_id": "SpanId",
    "parent_id": "ParentSpanId",
    "duration_ns": "Duration",
    "service": "ServiceName",
    "run": RUN,
}


def _time(ns: int) -> str:
    return f"fromUnixTimestamp64Nano(toInt64({int(ns)}))"


def _number(text: str) -> float | int | None:
    try:
        return float(text) if "." in text or "e" in text.lower() else int(text)
    except ValueError:
        return None


def span_where(flt: SpanFilter, extra: str | None = None) -> str:
    """The WHERE clause for a span filter (empty when nothing narrows)."""
    where: list[str] = [extra] if extra else []
    if flt.operation is not None:
        where.append(f"{OP} = {literal(flt.operation)}")
    if flt.model is not None:
        m = literal(flt.model)
        where.append(f"({_attr(semconv.GEN_AI_REQUEST_MODEL)} = {m} "
                     f"OR {_attr(semconv.GEN_AI_RESPONSE_MODEL)} = {m})")  # fmt: skip
    if flt.tool is not None:
        where.append(f"{_attr(semconv.GEN_AI_TOOL_NAME)} = {literal(flt.tool)}")
    if flt.agent is not None:
        where.append(f"{_attr(semconv.GEN_AI_AGENT_NAME)} = {literal(flt.agent)}")
    if flt.name is not None:
        where.append(f"SpanName = {literal(flt.name)}")
    if flt.status == "error":
        where.append(IS_ERROR)
    elif flt.status == "ok":
        where.append(f"NOT {IS_ERROR}")
    if flt.min_duration_ns is not None:
        where.append(f"Duration >= {max(0, int(flt.min_duration_ns))}")
    if flt.trace_id is not None:
        where.append(f"TraceId = {literal(flt.trace_id)}")
    if flt.since_ns is not None:
        where.append(f"Timestamp >= {_time(flt.since_ns)}")
    if flt.until_ns is not None:
        where.append(f"Timestamp < {_time(flt.until_ns)}")
    if flt.run_id is not None:
        where.append(f"{RUN} = {literal(flt.run_id)}")
    if flt.service is not None:
        where.append(f"ServiceName = {literal(flt.service)}")
    for cond in flt.where:
        if cond.op not in _WHERE_OPS:
            raise ValueError(f"unknown operator {cond.op!r}")
        column = _COLUMNS.get(cond.key)
        present = "true"
        if cond.key in ("kind", "status"):
            word = "SpanKind" if cond.key == "kind" else "StatusCode"
            column = f"lower(replaceRegexpOne({word}, '^(SPAN_KIND_|STATUS_CODE_)', ''))"
        elif column is None:
            column = _attr(cond.key)
            present = f"mapContains(SpanAttributes, {literal(cond.key)})"
        number = _number(cond.value)
        if cond.value.lower() in ("true", "false"):
            value = literal(cond.value.lower())
        elif number is not None:
            column = f"toFloat64OrNull({column})" if column != "Duration" else column
            value = literal(number)
        else:
            value = literal(cond.value)
        where.append(f"({present} AND {column} {cond.op} {value})")
    return f" WHERE {' AND '.join(where)}" if where else ""


def _keeps(s: TraceSummary, flt: TraceFilter, lower: int | None) -> bool:
    """Whether a whole-trace summary belongs in a trace list searched from ``lower`` on."""
    if lower is not None and s.start_ns < lower:
        return False
    if flt.since_ns is not None and s.start_ns < flt.since_ns:
        return False
    if flt.status == "error" and not s.error_count:
        return False
    return not (flt.status == "ok" and s.error_count)


def _int(value: Any) -> int | None:
    """A 64-bit integer, which a read-only server (no settings allowed) sends as text."""
    return None if value is None else int(value)


def _summary(r: Sequence[Any]) -> TraceSummary:
    n = [int(v) for v in r[3:13]]
    return TraceSummary(r[0], r[1], r[2], n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7], n[8],
                        n[9], r[13], r[14], r[15])  # fmt: skip


def _nearest_rank(p: float) -> str:
    # Nearest-rank percentile over the group's sorted durations, as the SQLite store.
    return f"d[toUInt64(greatest(1, ceil({p} * length(d))))]"


class ClickHouseStore:
    """Spans in the Collector's ``otel_traces`` table (see ``TraceBackend``)."""

    def __init__(self, target: Target, *, readonly: bool = True, timeout_s: float = 10.0) -> None:
        self.target = target
        self.readonly = readonly
        self.timeout_s = timeout_s
        self._client: Client | None = None
        self._client = self._guard(lambda: connect(target, timeout_s))
        self.table = f"{target.database}.{target.table}"
        self.lookup: str | None = None
        self.scope_columns = True
        self._listed: list[str] = []  # the last list_traces ids, for reading ahead
        self._ahead: dict[str, list[Span]] = {}
        self._windows: dict[tuple[str, ...], str] = {}
        try:
            self._check_schema()
        except BaseException:
            self.close()
            raise

    # --- plumbing ----------------------------------------------------------------

    def _guard(self, fn: Any) -> Any:
        try:
            return fn()
        except (StoreError, InvalidQuery, ValueError):
            raise
        except Exception as exc:
            raise error_for(exc, self.target) from None

    def _q(self, sql: str) -> list[list[Any]]:
        client = self._client
        if client is None:
            raise StoreError(f"store {self.target.display()} is closed")
        return self._guard(lambda: client.query(sql))[1]  # type: ignore[no-any-return]

    def _tables(self) -> set[str]:
        found = self._q(f"SELECT name FROM system.tables WHERE database = "
                        f"{literal(self.target.database)}")  # fmt: skip
        return {r[0] for r in found}

    def _check_schema(self) -> None:
        t = self.target
        tables = self._tables()
        if t.table not in tables and not self.readonly:
            self._create_schema()
            tables = self._tables()
        if t.table not in tables:
            raise StoreMissing(
                f"no table {self.table} at {t.display()} (point the Collector's clickhouse "
                "exporter at it with create_schema: true, or agentotel import into it)"
            )
        columns = {
            r[0]
            for r in self._q(
                f"SELECT name FROM system.columns WHERE database = {literal(t.database)} "
                f"AND table = {literal(t.table)}"
            )
        }
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise StoreCorrupt(
                f"{self.table} at {t.display()} is not the Collector's otel_traces schema "
                f"(missing {', '.join(missing[:4])}{'...' if len(missing) > 4 else ''})"
            )
        self.scope_columns = "ScopeName" in columns and "ScopeVersion" in columns
        if f"{t.table}_trace_id_ts" in tables:
            self.lookup = f"{t.database}.{t.table}_trace_id_ts"

    def _create_schema(self) -> None:
        ddl = resources.files("agentotel.store").joinpath("clickhouse_schema.sql")
        text = ddl.read_text(encoding="utf-8")
        body = "\n".join(ln for ln in text.splitlines() if not ln.startswith("--"))
        self._q(f"CREATE DATABASE IF NOT EXISTS {self.target.database}")
        for statement in body.split("\n;\n"):
            if statement.strip():
                self._q(statement.format(database=self.target.database,
                                         table=self.target.table))  # fmt: skip

    def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            try:
                client.close()
            except Exception:  # closing never fails the caller
                pass

    # --- writing -------------------------------------------------------------------

    def write(self, spans: Sequence[Span]) -> int:
        """Insert spans in the exporter's row format, skipping (trace, span) ids already stored."""
        if self.readonly:
            raise StoreError(f"store {self.target.display()} was opened read-only")
        new = 0
        for start in range(0, len(spans), _BATCH):
            batch = list(spans[start : start + _BATCH])
            seen = self._stored_ids({s.trace_id for s in batch})
            fresh = []
            for s in batch:
                if (s.trace_id, s.span_id) not in seen:
                    seen.add((s.trace_id, s.span_id))
                    fresh.append(s)
            if not fresh:
                continue
            lines = "\n".join(
                json.dumps(rows.to_row(s, self.scope_columns), ensure_ascii=False) for s in fresh
            )
            client = self._client
            assert client is not None
            self._guard(lambda: client.insert(self.table, lines))  # noqa: B023
            new += len(fresh)
        return new

    def _stored_ids(self, trace_ids: set[str]) -> set[tuple[str, str]]:
        if not trace_ids:
            return set()
        found = self._q(f"SELECT TraceId, SpanId FROM {self.table} "
                        f"WHERE TraceId IN {literal(sorted(trace_ids))}")  # fmt: skip
        return {(r[0], r[1]) for r in found}

    def add_events(self, updates: Sequence[SpanEvents]) -> int:
        raise StoreError(
            f"evaluation results were not recorded in ClickHouse ({self.target.display()}); "
            "it only reads the Collector's tables (--no-record silences this)"
        )

    # --- reading -------------------------------------------------------------------

    def _trace_window(self, trace_ids: Sequence[str]) -> str:
        """A time condition from the lookup table that prunes partitions for these traces."""
        if self.lookup is None or not trace_ids:
            return ""
        key = tuple(trace_ids)
        if key not in self._windows:
            self._windows = {key: self._lookup_window(trace_ids)}  # show asks three times
        return self._windows[key]

    def _lookup_window(self, trace_ids: Sequence[str]) -> str:
        found = self._q(
            f"SELECT toUnixTimestamp(min(Start)), toUnixTimestamp(max(End)), uniqExact(TraceId) "
            f"FROM {self.lookup} WHERE TraceId IN {literal(list(trace_ids))}"
        )
        # Only when every trace is in the lookup table (rows written before it existed are not).
        if not found or found[0][0] in (None, 0) or int(found[0][2]) < len(set(trace_ids)):
            return ""
        lo, hi = int(found[0][0]), int(found[0][1])
        return (f" AND Timestamp >= {_time((lo - 1) * 10**9)}"
                f" AND Timestamp < {_time((hi + 2) * 10**9)}")  # fmt: skip

    def _summaries(self, trace_ids: Sequence[str]) -> list[TraceSummary]:
        if not trace_ids:
            return []
        rank = "(if(ParentSpanId = '', 0, 2), Timestamp)"
        sql = (
            f"SELECT TraceId, argMin(SpanName, {rank}), argMin(SpanId, {rank}), "
            f"min({START_NS}), max({START_NS} + Duration), count(), countIf({LLM_IN}), "
            f"countIf({OP} = {literal(semconv.OP_EXECUTE_TOOL)}), "
            + ", ".join(f"sumIf(ifNull({e}, 0), {LLM_IN})"
                        for e in (IN_TOKENS, OUT_TOKENS, CACHE_READ, CACHE_CREATION))
            + f", countIf({IS_ERROR}), argMin(nullIf(ServiceName, ''), {rank}), "
            f"argMin(nullIf({RUN}, ''), {rank}), argMin(nullIf(ResourceAttributes"
            f"[{literal(semconv.VCS_REF_HEAD_REVISION)}], ''), {rank}) "
            f"FROM {self.table} WHERE TraceId IN {literal(list(trace_ids))}"
            f"{self._trace_window(trace_ids)} GROUP BY TraceId"
        )  # fmt: skip
        return [_summary(r) for r in self._q(sql)]

    # -- not yet on ClickHouse: one clear message instead of a wrong or empty answer ---------
    def _unsupported(self, what: str) -> StoreError:
        return StoreError(f"{what} is not supported on a ClickHouse store yet (use a local store)")

    def run_ids(self, limit: int = 1000) -> list[str]:
        found = self._q(
            f"SELECT {RUN} AS run, max(Timestamp) AS last FROM {self.table} WHERE run != '' "
            f"GROUP BY run ORDER BY last DESC LIMIT {max(0, int(limit))}"
        )
        return [str(r[0]) for r in found]

    def revisions(self, limit: int = 1000) -> list[str]:
        found = self._q(
            f"SELECT {REVISION} AS rev, max(Timestamp) AS last FROM {self.table} "
            f"WHERE rev != '' GROUP BY rev ORDER BY last DESC LIMIT {max(0, int(limit))}"
        )
        return [str(r[0]) for r in found]

    def resolve_span_id(self, prefix: str, limit: int = 5) -> list[tuple[str, str]]:
        raise self._unsupported("looking a span up by id")

    def tables(self) -> dict[str, list[str]]:
        raise self._unsupported("the schema listing")

    def has_attribute(self, key: str) -> bool:
        return True  # --where keys are not checked against a ClickHouse table

    def attribute_keys(self, sample: int = 10_000) -> list[Any]:
        raise self._unsupported("the attribute-key listing")

    def list_traces(self, flt: TraceFilter) -> list[TraceSummary]:
        if getattr(flt, "failed", False):
            raise self._unsupported("--failed")
        """The newest traces, found in a window that widens from the last hour as needed.

        Grouping a week of spans by trace costs seconds, so candidates come from the
        latest hour first (then 8, 64, 512 and 4096 hours, then the whole filter);
        a candidate counts only once its whole-trace summary shows it started inside
        the window searched, so a long trace that began earlier is never misplaced.
        """
        where: list[str] = []
        if flt.since_ns is not None:
            where.append(f"Timestamp >= {_time(flt.since_ns)}")
        if flt.until_ns is not None:
            where.append(f"Timestamp < {_time(flt.until_ns)}")
        if flt.run_id is not None:
            where.append(f"{RUN} = {literal(flt.run_id)}")
        if flt.service is not None:
            where.append(f"ServiceName = {literal(flt.service)}")
        having = ""
        if flt.status == "error":
            having = f" HAVING countIf({IS_ERROR}) > 0"
        limit = max(0, int(flt.limit))
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        latest = self._q(f"SELECT toUnixTimestamp64Nano(max(Timestamp)), count() "
                         f"FROM {self.table}{clause}")  # fmt: skip
        if limit == 0 or not latest or not int(latest[0][1]):
            self._listed, self._ahead = [], {}
            return []
        newest = int(latest[0][0])
        step = _HOUR_NS
        while True:
            edge = newest - step
            widest = step > _WIDEST or (flt.since_ns is not None and edge <= flt.since_ns)
            lower = None if widest else edge
            bound = [f"Timestamp >= {_time(lower)}"] if lower is not None else []
            window = f" WHERE {' AND '.join(where + bound)}" if where or bound else ""
            ids = [r[0] for r in self._q(
                f"SELECT TraceId FROM {self.table}{window} GROUP BY TraceId{having} "
                f"ORDER BY min(Timestamp) DESC LIMIT {limit + 10 + limit // 10}"
            )]  # fmt: skip
            found = [s for s in self._summaries(ids) if _keeps(s, flt, lower)]
            if lower is None or len(found) >= limit:
                break
            step *= 8
        found.sort(key=lambda s: s.start_ns, reverse=True)
        self._listed, self._ahead = [s.trace_id for s in found[:limit]], {}
        return found[:limit]

    def trace_summary(self, trace_id: str) -> TraceSummary | None:
        found = self._summaries([trace_id])
        return found[0] if found else None

    def resolve_trace_id(self, prefix: str, limit: int = 5) -> list[str]:
        source = self.lookup or self.table
        found = self._q(
            f"SELECT DISTINCT TraceId FROM {source} WHERE startsWith(TraceId, "
            f"{literal(prefix.lower())}) LIMIT {max(0, int(limit))}"
        )
        return sorted(r[0] for r in found)

    def latest_trace_id(self) -> str | None:
        found = self._q(f"SELECT TraceId FROM {self.table} ORDER BY (ParentSpanId = '') DESC, "
                        "Timestamp DESC LIMIT 1")  # fmt: skip
        return found[0][0] if found else None

    def latest_run_id(self) -> str | None:
        found = self._q(
            f"SELECT {RUN} FROM {self.table} WHERE {RUN} != '' "
            "ORDER BY (ParentSpanId = '') DESC, Timestamp DESC LIMIT 1"
        )
        return found[0][0] if found else None

    def _spans(self, clause: str, order: str, limit: int | None = None) -> list[Span]:
        scope = "ScopeName, ScopeVersion" if self.scope_columns else "'', ''"
        tail = f" LIMIT {max(0, int(limit))}" if limit is not None else ""
        sql = (f"SELECT {rows.FULL_COLUMNS.format(scope=scope)} FROM {self.table}{clause} "
               f"ORDER BY {order}{tail}")  # fmt: skip
        return [rows.from_row(r) for r in self._q(sql)]

    def trace_spans(self, trace_id: str) -> list[Span]:
        """One trace's spans; walking the traces just listed (as ``eval`` does) reads ahead."""
        if trace_id in self._ahead:
            return self._ahead.pop(trace_id)
        ids = [trace_id]
        if trace_id in self._listed:
            at = self._listed.index(trace_id)
            ids = self._listed[at : at + _READ_AHEAD]
        window = self._trace_window(ids)
        spans = self._spans(f" WHERE TraceId IN {literal(ids)}{window}", "Timestamp, SpanId")
        by_trace: dict[str, list[Span]] = {i: [] for i in ids}
        for span in spans:
            by_trace[span.trace_id].append(span)
        mine = by_trace.pop(trace_id)
        self._ahead.update(by_trace)
        return mine

    def find_spans(self, flt: SpanFilter, full: bool = False) -> list[Span]:
        order = "Duration DESC" if flt.sort == "duration" else "Timestamp DESC"
        return self._spans(span_where(flt), order, flt.limit)

    def stats(self, by: str, flt: SpanFilter) -> list[GroupStats]:
        if by not in GROUPS:
            raise ValueError(f"cannot group by {by!r}; choose one of {', '.join(GROUPS)}")
        key, condition = GROUPS[by]
        clause = span_where(flt, condition)
        found = self._q(
            f"SELECT k, n, errs, tin, tout, tcr, tcc, {_nearest_rank(0.5)}, "
            f"{_nearest_rank(0.95)}, {_nearest_rank(0.99)} FROM ("
            f"SELECT {key} AS k, count() AS n, countIf({IS_ERROR}) AS errs, "
            f"sum(ifNull({IN_TOKENS}, 0)) AS tin, sum(ifNull({OUT_TOKENS}, 0)) AS tout, "
            f"sum(ifNull({CACHE_READ}, 0)) AS tcr, sum(ifNull({CACHE_CREATION}, 0)) AS tcc, "
            f"arraySort(groupArray(Duration)) AS d FROM {self.table}{clause} GROUP BY k)"
        )
        groups = {
            r[0]: GroupStats(r[0], int(r[1]), int(r[2]), _int(r[7]), _int(r[8]), _int(r[9]),
                             int(r[3]), int(r[4]), int(r[5]), int(r[6]))
            for r in found
        }  # fmt: skip
        has_tokens = f"({IN_TOKENS} IS NOT NULL OR {OUT_TOKENS} IS NOT NULL)"
        usage_clause = span_where(flt, f"{condition} AND {has_tokens}" if condition else has_tokens)
        for k, m, n, tin, tout, tcr, tcc in self._q(
            f"SELECT {key} AS k, {MODEL} AS m, count(), {TOKEN_SUMS} "
            f"FROM {self.table}{usage_clause} GROUP BY k, m"
        ):
            if k in groups:
                groups[k].usage.append(ModelUsage(m, int(n), int(tin), int(tout), int(tcr),
                                                  int(tcc)))  # fmt: skip
        ordered = sorted(groups.values(), key=lambda g: (-g.count, str(g.key)))
        return ordered[: flt.limit]

    def usage_by_trace(self, trace_ids: Iterable[str]) -> dict[str, list[ModelUsage]]:
        ids = list(trace_ids)
        out: dict[str, list[ModelUsage]] = {}
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            found = self._q(
                f"SELECT TraceId, {MODEL} AS m, count(), {TOKEN_SUMS} FROM {self.table} "
                f"WHERE TraceId IN {literal(chunk)}{self._trace_window(chunk)} AND {LLM_IN} "
                "GROUP BY TraceId, m"
            )
            for tid, m, n, tin, tout, tcr, tcc in found:
                out.setdefault(tid, []).append(
                    ModelUsage(m, int(n), int(tin), int(tout), int(tcr), int(tcc))
                )
        return out

    def sql(
        self,
        text: str,
        limit: int,
        timeout_s: float | None = None,
        prices: Any = None,
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run one read-only statement (SELECT, WITH, DESCRIBE, SHOW, EXPLAIN) with readonly=1.

        The ``span_costs``/``trace_costs`` views (``prices``) exist on SQLite stores only.
        """
        statement = text.strip().rstrip(";").strip()
        if not _READ_ONLY_START.match(statement) or ";" in statement:
            raise InvalidQuery("only one SELECT, WITH, DESCRIBE, SHOW or EXPLAIN statement runs")
        if re.search(r"\b(format|settings|into\s+outfile)\b", statement, re.IGNORECASE):
            raise InvalidQuery("FORMAT, SETTINGS and INTO OUTFILE clauses are not accepted")
        settings: dict[str, Any] = {"readonly": 1, "max_result_rows": max(0, limit) + 1,
                                    "result_overflow_mode": "break"}  # fmt: skip
        if timeout_s:
            settings["max_execution_time"] = max(1, round(timeout_s))
        client = self._client
        if client is None:
            raise StoreError(f"store {self.target.display()} is closed")
        try:
            columns, found = client.query(statement, settings)
        except (StoreError, InvalidQuery):
            raise
        except Exception as exc:
            raise error_for(exc, self.target, sql_error=True) from None
        return columns, [tuple(r) for r in found[: max(0, limit)]]
