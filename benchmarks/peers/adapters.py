"""How each peer is imported, given an export pipeline, switched on and switched off.

Runs inside the peer's own venv, so nothing here is imported at module level beyond the
standard library. Two pipelines exist for every peer:

* ``common``: the OpenTelemetry SDK's ``BatchSpanProcessor`` + OTLP/HTTP protobuf exporters
  (traces, metrics, logs) to the loopback sink, set as the global providers and passed to the
  instrumentor. This compares instrumentors alone.
* ``default``: the peer's recommended set-up. For peers whose documentation recommends the
  plain SDK pipeline it is the same as ``common`` (``Peer.own_pipeline`` is False).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Instrumentor (module, class) per peer and library; a missing entry means "not offered".
INSTRUMENTORS: dict[str, dict[str, tuple[str, str]]] = {
    "openllmetry": {
        "openai": ("opentelemetry.instrumentation.openai", "OpenAIInstrumentor"),
        "anthropic": ("opentelemetry.instrumentation.anthropic", "AnthropicInstrumentor"),
        "langchain": ("opentelemetry.instrumentation.langchain", "LangchainInstrumentor"),
        "google_genai": (
            "opentelemetry.instrumentation.google_generativeai",
            "GoogleGenerativeAiInstrumentor",
        ),
        "openai_agents": (
            "opentelemetry.instrumentation.openai_agents",
            "OpenAIAgentsInstrumentor",
        ),
        "bedrock": ("opentelemetry.instrumentation.bedrock", "BedrockInstrumentor"),
    },
    "openinference": {
        "openai": ("openinference.instrumentation.openai", "OpenAIInstrumentor"),
        "anthropic": ("openinference.instrumentation.anthropic", "AnthropicInstrumentor"),
        "langchain": ("openinference.instrumentation.langchain", "LangChainInstrumentor"),
        "google_genai": ("openinference.instrumentation.google_genai", "GoogleGenAIInstrumentor"),
        "openai_agents": (
            "openinference.instrumentation.openai_agents",
            "OpenAIAgentsInstrumentor",
        ),
        "bedrock": ("openinference.instrumentation.bedrock", "BedrockInstrumentor"),
    },
    "otel_genai": {
        "openai": ("opentelemetry.instrumentation.genai.openai", "OpenAIInstrumentor"),
        "anthropic": ("opentelemetry.instrumentation.genai.anthropic", "AnthropicInstrumentor"),
        "langchain": ("opentelemetry.instrumentation.genai.langchain", "LangChainInstrumentor"),
        "google_genai": (
            "opentelemetry.instrumentation.google_genai",
            "GoogleGenAiSdkInstrumentor",
        ),
        "openai_agents": (
            "opentelemetry.instrumentation.genai.openai_agents",
            "OpenAIAgentsInstrumentor",
        ),
        # The official Bedrock support is the botocore instrumentation's bedrock extension.
        "bedrock": ("opentelemetry.instrumentation.botocore", "BotocoreInstrumentor"),
    },
    "traceai": {
        "openai": ("traceai_openai", "OpenAIInstrumentor"),
        "anthropic": ("traceai_anthropic", "AnthropicInstrumentor"),
        "langchain": ("traceai_langchain", "LangChainInstrumentor"),
        "google_genai": ("traceai_google_genai", "GoogleGenAIInstrumentor"),
        "openai_agents": ("traceai_openai_agents", "OpenAIAgentsInstrumentor"),
        "bedrock": ("traceai_bedrock", "BedrockInstrumentor"),
    },
    "openlit": {
        "openai": ("openlit.instrumentation.openai", "OpenAIInstrumentor"),
        "anthropic": ("openlit.instrumentation.anthropic", "AnthropicInstrumentor"),
        "langchain": ("openlit.instrumentation.langchain", "LangChainInstrumentor"),
        "bedrock": ("openlit.instrumentation.bedrock", "BedrockInstrumentor"),
    },
}

LIBRARY = {
    "openai_chat": "openai",
    "openai_stream": "openai",
    "anthropic_messages": "anthropic",
    "langchain_agent": "langchain",
    "google_genai_generate": "google_genai",
    "openai_agents": "openai_agents",
    "bedrock_converse": "bedrock",
}

EXTRA_KWARGS: dict[tuple[str, str], dict[str, Any]] = {
    # Declares google-genai<3 and would refuse to instrument 3.x without this.
    ("otel_genai", "google_genai"): {"skip_dep_check": True},
}
"""Options a peer's instrument() needs beyond the providers, per (peer, library)."""


class Unsupported(Exception):
    """The peer offers no instrumentation for this workload's library."""


@dataclass
class Pipeline:
    """Providers the instrumentor is given, and how to flush them at the end of a block."""

    tracer_provider: Any = None
    meter_provider: Any = None
    logger_provider: Any = None
    extra_flush: list[Callable[[], object]] = field(default_factory=list)

    def flush(self, metrics: bool) -> None:
        """Export everything pending now; metrics only after instrumented blocks (see worker)."""
        for provider in (self.tracer_provider, self.logger_provider):
            if provider is not None and hasattr(provider, "force_flush"):
                provider.force_flush()
        if metrics and hasattr(self.meter_provider, "force_flush"):
            self.meter_provider.force_flush()
        for fn in self.extra_flush:
            fn()


def sdk_pipeline(endpoint: str, *, set_global: bool = True) -> Pipeline:
    """SDK BatchSpanProcessor + OTLP/HTTP exporters for traces, metrics and logs."""
    from opentelemetry import metrics, trace
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": "agentotel-bench"})
    tp = TracerProvider(resource=resource)
    tp.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")))
    reader = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics"))
    mp = MeterProvider(resource=resource, metric_readers=[reader])
    lp = LoggerProvider(resource=resource)
    lp.add_log_record_processor(
        BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{endpoint}/v1/logs"))
    )
    if set_global:
        trace.set_tracer_provider(tp)
        metrics.set_meter_provider(mp)
        try:
            from opentelemetry import _logs

            _logs.set_logger_provider(lp)
        except ImportError:
            pass
    return Pipeline(tp, mp, lp)


class Adapter:
    """Generic adapter for peers that ship `BaseInstrumentor` subclasses."""

    def __init__(self, peer: str, workload: str) -> None:
        self.peer = peer
        self.workload = workload
        self.library = LIBRARY[workload]
        self.pipeline = Pipeline()
        self._instrumentor: Any = None

    def supported(self) -> bool:
        return self.library in INSTRUMENTORS.get(self.peer, {})

    def import_instrumentation(self) -> None:
        """Import the instrumentation module(s); the worker times this."""
        if not self.supported():
            raise Unsupported(f"{self.peer} has no {self.library} instrumentation")
        module, cls = INSTRUMENTORS[self.peer][self.library]
        self._cls = getattr(importlib.import_module(module), cls)

    def setup(self, pipeline: str, endpoint: str) -> None:
        self.pipeline = sdk_pipeline(endpoint)

    def kwargs(self) -> dict[str, Any]:
        return {
            "tracer_provider": self.pipeline.tracer_provider,
            "meter_provider": self.pipeline.meter_provider,
            "logger_provider": self.pipeline.logger_provider,
            **EXTRA_KWARGS.get((self.peer, self.library), {}),
        }

    def instrument(self) -> None:
        self._instrumentor = self._cls()
        self._instrumentor.instrument(**self.kwargs())

    def uninstrument(self) -> None:
        if self._instrumentor is not None:
            self._instrumentor.uninstrument()


class OpenLITAdapter(Adapter):
    """OpenLIT: `openlit.init()` on top of the SDK pipeline, limited to the workload's library."""

    def import_instrumentation(self) -> None:
        import openlit  # noqa: F401

        super().import_instrumentation()

    def setup(self, pipeline: str, endpoint: str) -> None:
        self.pipeline = sdk_pipeline(endpoint)
        import openlit
        from openlit._instrumentors import MODULE_NAME_MAP

        pricing = os.path.join(tempfile.mkdtemp(), "pricing.json")
        with open(pricing, "w") as fh:
            json.dump({}, fh)
        self._init: Callable[[], object] = lambda: openlit.init(
            otlp_endpoint=endpoint,
            pricing_json=pricing,
            disabled_instrumentors=[n for n in MODULE_NAME_MAP if n != self.library],
        )
        self._initialised = False

    def instrument(self) -> None:
        if not self._initialised:
            self._init()
            self._initialised = True
            self._instrumentor = self._cls()
        else:
            self._instrumentor = self._cls()
            import openlit._config as cfg

            config = cfg.OpenlitConfig
            self._instrumentor.instrument(
                environment=config.environment,
                application_name=config.application_name,
                pricing_info=config.pricing_info,
                capture_message_content=config.capture_message_content,
                disable_metrics=config.disable_metrics,
                disable_events=config.disable_events,
                capture_db_parameters=config.capture_db_parameters,
            )


class LogfireAdapter(Adapter):
    """Logfire: `logfire.configure(send_to_logfire=False)` and `logfire.instrument_<lib>()`."""

    def supported(self) -> bool:
        return self.library in ("openai", "anthropic")

    def import_instrumentation(self) -> None:
        if not self.supported():
            raise Unsupported("logfire has no LangChain instrumentation of its own")
        import logfire

        self._logfire = logfire

    def setup(self, pipeline: str, endpoint: str) -> None:
        logfire = self._logfire
        if pipeline == "default":
            # Logfire's documented way to send elsewhere: the standard OTLP variables.
            os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
            logfire.configure(send_to_logfire=False, console=False, service_name="agentotel-bench")
        else:
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
            from opentelemetry.sdk.trace.export import BatchSpanProcessor

            span_proc = BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces"))
            reader = PeriodicExportingMetricReader(
                OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics")
            )
            logfire.configure(
                send_to_logfire=False,
                console=False,
                service_name="agentotel-bench",
                additional_span_processors=[span_proc],
                metrics=logfire.MetricsOptions(additional_readers=[reader]),
            )
        from opentelemetry import metrics

        # configure() installs logfire's providers globally; flush its meter provider too.
        self.pipeline = Pipeline(
            meter_provider=metrics.get_meter_provider(), extra_flush=[logfire.force_flush]
        )
        self._handle: Any = None

    def instrument(self) -> None:
        fn = getattr(self._logfire, f"instrument_{self.library}")
        self._handle = fn()
        self._handle.__enter__()  # instrumenting happened in the call; exiting undoes it

    def uninstrument(self) -> None:
        if self._handle is not None:
            self._handle.__exit__(None, None, None)
            self._handle = None


AGENTOTEL_FALLBACK = {
    "openai": ("agentotel.instrumentation.openai", "OpenAIInstrumentor"),
    "anthropic": ("agentotel.instrumentation.anthropic", "AnthropicInstrumentor"),
    "langchain": ("agentotel.instrumentation.langchain", "LangChainInstrumentor"),
    "google_genai": ("agentotel.instrumentation.google_genai", "GoogleGenAIInstrumentor"),
}
"""Where agentotel's instrumentors live when its REGISTRY does not list them yet."""


class AgentotelAdapter(Adapter):
    """agentotel: its instrumentor on the SDK pipeline, or `agentotel.instrument()` (default)."""

    def _target(self) -> tuple[str, str] | None:
        try:
            from agentotel.instrumentation import REGISTRY
        except ImportError:
            return None
        entry = REGISTRY.get(self.library)
        if entry is not None:
            module, _, cls = entry[0].partition(":")
            return module, cls
        target = AGENTOTEL_FALLBACK.get(self.library)
        if target is None or importlib.util.find_spec(target[0]) is None:
            return None
        return target

    def supported(self) -> bool:
        return self._target() is not None

    def import_instrumentation(self) -> None:
        target = self._target()
        if target is None:
            raise Unsupported(f"agentotel has no {self.library} instrumentor yet")
        import agentotel

        self._agentotel = agentotel
        self._cls = getattr(importlib.import_module(target[0]), target[1])

    def setup(self, pipeline: str, endpoint: str) -> None:
        if pipeline == "common":
            super().setup(pipeline, endpoint)
            self._kwargs = super().kwargs()
            return
        os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
        handle = self._agentotel.instrument(libraries=[self.library])
        self.pipeline = Pipeline(handle.tracer_provider, handle.meter_provider)
        # Replay exactly what instrument() passes, so toggling is equivalent to it.
        self._kwargs = {
            "tracer_provider": handle.tracer_provider,
            "meter_provider": handle.meter_provider,
            "logger_provider": None,
            "settings": handle.settings,
        }
        started = handle.instrumentors.get(self.library)
        if started is not None:
            started.uninstrument()

    def kwargs(self) -> dict[str, Any]:
        return self._kwargs


class BaselineAdapter(Adapter):
    """No instrumentation at all: used for RSS and absolute per-call figures."""

    def supported(self) -> bool:
        return True

    def import_instrumentation(self) -> None:
        return

    def instrument(self) -> None:
        return

    def uninstrument(self) -> None:
        return


def make(peer: str, workload: str) -> Adapter:
    """The adapter for `peer` running `workload`."""
    kinds: dict[str, type[Adapter]] = {
        "baseline": BaselineAdapter,
        "agentotel": AgentotelAdapter,
        "logfire": LogfireAdapter,
        "openlit": OpenLITAdapter,
    }
    return kinds.get(peer, Adapter)(peer, workload)
