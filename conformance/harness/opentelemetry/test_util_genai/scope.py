"""``TelemetryHandlerScopeTest``: every signal carries the instrumentor's own scope.

The official suites check this through util-genai's ``TelemetryHandler``: the
instrumentor must build exactly one handler, and the span, metric and log it
emits must name the instrumentation library. An instrumentor that emits through
a handler of its own cannot pass it (listed in the expected failures).
"""

from __future__ import annotations

from typing import Any, ClassVar
from unittest import mock

from .instrumentor import instrument


class TelemetryHandlerScopeTest:
    instrumentor_class: ClassVar[type[Any]]
    instrumentation_scope_name: ClassVar[str]
    instrumentation_scope_version: ClassVar[str]

    def test_instrumentation_scope_is_used_for_all_signals(
        self,
        tracer_provider: Any,
        logger_provider: Any,
        meter_provider: Any,
        span_exporter: Any,
        log_exporter: Any,
        metric_reader: Any,
    ) -> None:
        from opentelemetry.util.genai.handler import TelemetryHandler

        built: list[Any] = []
        real_init = TelemetryHandler.__init__

        def recording_init(self: Any, *args: Any, **kwargs: Any) -> None:
            real_init(self, *args, **kwargs)
            built.append(self)

        with (
            mock.patch.object(TelemetryHandler, "__init__", recording_init),
            instrument(
                self.instrumentor_class(),
                tracer_provider=tracer_provider,
                logger_provider=logger_provider,
                meter_provider=meter_provider,
                content_capture="EVENT_ONLY",
            ),
        ):
            assert len(built) == 1, f"instrumenting built {len(built)} util-genai handlers"
            with built[0].inference("provider", request_model="model"):
                pass

        expected = (self.instrumentation_scope_name, self.instrumentation_scope_version)
        scopes = [s.instrumentation_scope for s in span_exporter.get_finished_spans()]
        scopes += [r.instrumentation_scope for r in log_exporter.get_finished_logs()]
        data = metric_reader.get_metrics_data()
        scopes += [sm.scope for rm in data.resource_metrics for sm in rm.scope_metrics]
        assert scopes
        assert {(s.name, s.version) for s in scopes} == {expected}
