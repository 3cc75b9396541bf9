"""The public surface of agentotel.export."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

import agentotel.export as export
from agentotel.export import BatchSpanProcessor


def test_all_names_are_exported() -> None:
    assert sorted(export.__all__) == export.__all__
    for name in export.__all__:
        assert getattr(export, name) is not None


class Exploding(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        raise RuntimeError("backend bug")

    def shutdown(self) -> None:
        pass


def test_an_exporter_that_raises_is_counted_not_fatal() -> None:
    processor = BatchSpanProcessor(Exploding(), schedule_delay_millis=20)
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("t")
    tracer.start_span("a").end()
    assert processor.force_flush(2000) is False
    tracer.start_span("b").end()
    assert processor.force_flush(2000) is False
    assert processor.stats().failed == {"RuntimeError": 2}
    processor.shutdown(1000)
