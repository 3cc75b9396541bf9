"""Recording evaluation results: as ``gen_ai.evaluation.result`` events on the evaluated spans.

In the local store an event is added to the span's stored events (the same list
``agentotel show`` and ``export`` read), replacing an earlier result of the same
evaluator, so re-running ``agentotel eval`` does not pile up duplicates. No schema
change is needed. Over OTLP each result is a log record (an OpenTelemetry *event*:
``event_name`` set) whose trace and span ids are those of the evaluated span, which
is how the GenAI conventions parent evaluation events; it is sent with the SDK's
OTLP/HTTP log exporter when an endpoint is configured.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

from agentotel import semconv
from agentotel.evals.model import Report, Result
from agentotel.store.errors import StoreError
from agentotel.store.factory import display, is_clickhouse, open_backend
from agentotel.store.model import Event, SpanEvents

MAX_SPANS_PER_RESULT = 100
"""A result over many traces is recorded on at most this many of the spans it names."""

LOGS_ENDPOINT_ENVS = ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")


def attributes(result: Result) -> dict[str, Any]:
    """The event attributes of one result, in the GenAI conventions' names."""
    attrs: dict[str, Any] = {
        semconv.GEN_AI_EVALUATION_NAME: result.evaluator,
        semconv.GEN_AI_EVALUATION_SCORE_VALUE: float(result.score),
        semconv.GEN_AI_EVALUATION_SCORE_LABEL: result.label,
        semconv.GEN_AI_EVALUATION_EXPLANATION: result.explanation,
    }
    if result.subject:
        attrs[semconv.AGENTOTEL_EVALUATION_SUBJECT] = result.subject
    return attrs


def targets(report: Report) -> list[tuple[str, str, Result]]:
    """``(trace_id, span_id, result)`` for every event to record.

    A per-trace result goes on its evaluated span; a result over the whole selection
    on the spans it names (a passing one usually names none, and is not recorded).
    """
    owner = {s.span_id: t.trace_id for t in report.traces for s in t.spans}
    out: list[tuple[str, str, Result]] = []
    for r in report.results:
        if r.trace_id and r.span_id:
            out.append((r.trace_id, r.span_id, r))
            continue
        for span_id in r.span_ids[:MAX_SPANS_PER_RESULT]:
            trace_id = owner.get(span_id)
            if trace_id is not None:
                out.append((trace_id, span_id, r))
    return out


REPLACE_KEYS = (semconv.GEN_AI_EVALUATION_NAME, semconv.AGENTOTEL_EVALUATION_SUBJECT)
"""A stored result with the same evaluator and subject as a new one is replaced by it."""


def record_in_store(path: str | os.PathLike[str], report: Report, timeout_s: float = 5.0) -> int:
    """Add the report's results to the stored spans' events; returns how many were recorded.

    The store is opened writable through :func:`agentotel.store.open_backend`, which
    first checks (and if need be migrates) the schema, so this never writes into a
    file it does not understand.
    """
    pending: dict[tuple[str, str], list[Result]] = {}
    for trace_id, span_id, result in targets(report):
        pending.setdefault((trace_id, span_id), []).append(result)
    if not pending:
        open_backend(path, readonly=False, timeout_s=timeout_s).close()
        return 0
    now = time.time_ns()
    updates = [
        SpanEvents(
            trace_id,
            span_id,
            [Event(semconv.EVENT_EVALUATION_RESULT, now, attributes(r)) for r in results],
            replace_keys=REPLACE_KEYS,
        )
        for (trace_id, span_id), results in pending.items()
    ]
    store = open_backend(path, readonly=False, timeout_s=timeout_s)
    try:
        return store.add_events(updates)
    except StoreError as exc:
        if is_clickhouse(path):
            raise  # the backend's message already says what happened
        raise type(exc)(f"could not record evaluation results in {display(path)}: {exc}") from None
    finally:
        store.close()


def otlp_configured(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return any(env.get(name, "").strip() for name in LOGS_ENDPOINT_ENVS)


def export_otlp(report: Report, exporter: Any = None) -> int:
    """Send each result as a ``gen_ai.evaluation.result`` log record; returns how many.

    ``exporter`` is any OpenTelemetry ``LogRecordExporter``; by default the OTLP/HTTP
    one, configured by the usual ``OTEL_EXPORTER_OTLP_*`` variables. Raises ImportError
    when that exporter (opentelemetry-exporter-otlp-proto-http) is not installed.
    """
    from opentelemetry import trace
    from opentelemetry._logs import LogRecord
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

    from agentotel.version import __version__

    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter

        exporter = OTLPLogExporter()
    services = {t.service_name for t in report.traces if t.service_name}
    service_name = services.pop() if len(services) == 1 else "agentotel.eval"
    provider = LoggerProvider(
        resource=Resource.create({semconv.SERVICE_NAME: service_name}), shutdown_on_exit=False
    )
    provider.add_log_record_processor(BatchLogRecordProcessor(exporter))
    logger = provider.get_logger("agentotel.evals", __version__)
    sent = 0
    try:
        for trace_id, span_id, result in targets(report):
            parent = SpanContext(
                int(trace_id, 16),
                int(span_id, 16),
                is_remote=True,
                trace_flags=TraceFlags(TraceFlags.SAMPLED),
            )
            logger.emit(
                LogRecord(
                    timestamp=time.time_ns(),
                    context=trace.set_span_in_context(NonRecordingSpan(parent)),
                    event_name=semconv.EVENT_EVALUATION_RESULT,
                    attributes=attributes(result),
                )
            )
            sent += 1
        provider.force_flush()
    finally:
        provider.shutdown()
    return sent
