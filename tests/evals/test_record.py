"""Results recorded as gen_ai.evaluation.result events: in the store, and as OTLP log records."""

from __future__ import annotations

from pathlib import Path

from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter

from agentotel import evals, query, semconv
from agentotel.evals import record
from agentotel.store.sqlite import SQLiteStore
from tests.evals.helpers import TraceBuilder, looping_trace


def stored(path: Path, trace_id: str) -> dict[str, list[dict[str, object]]]:
    with query.open(path) as q:
        trace = q.trace(trace_id)
    return {
        s.span_id: [e.attributes for e in s.events if e.name == semconv.EVENT_EVALUATION_RESULT]
        for s in trace.spans
    }


def test_results_become_span_events_and_replace_earlier_ones(tmp_path: Path) -> None:
    path = tmp_path / "traces.db"
    b = looping_trace(3)
    b.tool("flaky", {"x": 1}, error="TimeoutError")
    store = SQLiteStore(path, readonly=False)
    store.write(b.spans)
    store.close()

    report = evals.evaluate(b.spans, ["tool_loops", "tool_errors"])
    assert record.record_in_store(path, report) == 2
    events = stored(path, b.trace_id)
    (on_root,) = events[b.root.span_id]
    assert on_root[semconv.GEN_AI_EVALUATION_NAME] == "tool_loops"
    assert on_root[semconv.GEN_AI_EVALUATION_SCORE_LABEL] == "fail"
    assert on_root[semconv.GEN_AI_EVALUATION_SCORE_VALUE] == 0.5  # 2 of 4 calls redundant
    assert "3 times" in str(on_root[semconv.GEN_AI_EVALUATION_EXPLANATION])
    flaky = next(s for s in b.spans if s.tool_name == "flaky")
    (on_error,) = events[flaky.span_id]  # a result over the selection goes on its spans
    assert on_error[semconv.GEN_AI_EVALUATION_NAME] == "tool_errors"

    again = evals.evaluate(b.spans, ["tool_loops"], min_repeats=5)
    record.record_in_store(path, again)
    (replaced,) = stored(path, b.trace_id)[b.root.span_id]
    assert replaced[semconv.GEN_AI_EVALUATION_SCORE_LABEL] == "pass"


def test_results_for_spans_not_in_the_store_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "traces.db"
    store = SQLiteStore(path, readonly=False)
    store.write(TraceBuilder().spans)
    store.close()
    report = evals.evaluate(looping_trace(3).spans, ["tool_loops"])
    assert record.record_in_store(path, report) == 0


def test_otlp_log_records_are_parented_to_the_evaluated_span() -> None:
    b = looping_trace(3)
    report = evals.evaluate(b.spans, ["tool_loops", "tool_errors"])
    exporter = InMemoryLogRecordExporter()
    assert record.export_otlp(report, exporter) == 1  # the passing tool_errors names no span
    (item,) = exporter.get_finished_logs()
    log = item.log_record
    assert log.event_name == semconv.EVENT_EVALUATION_RESULT
    assert format(log.trace_id, "032x") == b.trace_id
    assert format(log.span_id, "016x") == b.root.span_id
    assert log.attributes[semconv.GEN_AI_EVALUATION_NAME] == "tool_loops"
    assert log.attributes[semconv.GEN_AI_EVALUATION_SCORE_LABEL] == "fail"
    assert item.resource.attributes[semconv.SERVICE_NAME] == "svc"


def test_otlp_configured_reads_the_standard_variables() -> None:
    assert not record.otlp_configured({})
    assert record.otlp_configured({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318"})
    assert record.otlp_configured({"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "http://x/v1/logs"})
