"""``agentotel.instrument()``: providers, pipeline and instrumentors in one call."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import logging
import os
import sys
import threading
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from opentelemetry import metrics, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from agentotel import _config, _safety, semconv
from agentotel.instrumentation import REGISTRY

if TYPE_CHECKING:
    from agentotel.export import PipelineStats

_log = logging.getLogger("agentotel")
_lock = threading.Lock()
_current: Instrumentation | None = None

THIRD_PARTY_GROUP = "agentotel.instrumentors"


@dataclass
class Instrumentation:
    """What :func:`instrument` did; ``uninstrument()`` undoes all of it."""

    settings: _config.Settings
    tracer_provider: Any
    meter_provider: Any
    instrumentors: dict[str, Any] = field(default_factory=dict)
    owns_providers: bool = False

    @property
    def names(self) -> list[str]:
        """Short names of the instrumentors that are active."""
        return sorted(self.instrumentors)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        flush = getattr(self.tracer_provider, "force_flush", None)
        return bool(flush(timeout_millis)) if callable(flush) else True

    def stats(self) -> PipelineStats:
        """Spans created, exported, dropped by reason and still queued (see docs/export.md)."""
        from agentotel.export._stats import pipeline_stats

        return pipeline_stats(self.tracer_provider)

    def uninstrument(self) -> None:
        global _current
        with _lock:
            for name, instrumentor in list(self.instrumentors.items()):
                try:
                    instrumentor.uninstrument()
                except Exception as exc:
                    _safety.report(f"uninstrument.{name}", exc)
            self.instrumentors.clear()
            if _current is self:
                _current = None


def _service_name() -> str:
    name = os.environ.get("OTEL_SERVICE_NAME")
    if name:
        return name
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else ""
    base = os.path.basename(argv0)
    if base.endswith(".py"):
        base = base[:-3]
    return base or "unknown_service:python"


def _resource(service_name: str | None) -> Resource:
    attrs: dict[str, Any] = {semconv.SERVICE_NAME: service_name or _service_name()}
    try:
        from agentotel._resource import run_resource_attributes

        attrs.update(run_resource_attributes())
    except ImportError:
        pass
    # Resource.create merges OTEL_RESOURCE_ATTRIBUTES and the SDK's detectors.
    return Resource.create(attrs)


def _endpoint_configured() -> bool:
    return bool(
        os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    )


def _build_tracer_provider(service_name: str | None) -> TracerProvider:
    from agentotel import _pipeline

    provider: TracerProvider = _pipeline.default_tracer_provider(
        _resource(service_name), _endpoint_configured()
    )
    return provider


def _build_meter_provider(resource: Resource) -> Any:
    from agentotel import _pipeline

    return _pipeline.default_meter_provider(resource, _endpoint_configured())


def _sdk_disabled() -> bool:
    from agentotel import _exporters

    return _exporters.sdk_disabled()


def _event_logger_provider(tracer_provider: Any) -> Any:
    """The global SDK LoggerProvider, or a new one for GenAI events (see ``_logs``)."""
    from opentelemetry import _logs as logs_api

    existing = logs_api.get_logger_provider()
    if _is_sdk_provider(existing):
        return existing
    from agentotel import _logs

    resource = getattr(tracer_provider, "resource", None) or _resource(None)
    provider = _logs.default_logger_provider(resource)
    logs_api.set_logger_provider(provider)
    return provider


def _is_sdk_provider(provider: Any) -> bool:
    return not type(provider).__name__.startswith(("Proxy", "NoOp", "_Proxy"))


def _wanted(name: str, settings: _config.Settings, only: set[str] | None) -> bool:
    if only is not None and name not in only:
        return False
    disabled = settings.disabled
    return name not in disabled and f"agentotel_{name}" not in disabled


def _load(target: str) -> Any:
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def _installed(package: str) -> bool:
    """Whether ``package`` can be imported, without importing it (dotted names included:
    ``find_spec("google.genai")`` raises when ``google`` itself is missing)."""
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        return False


def instrument(
    *,
    tracer_provider: Any = None,
    meter_provider: Any = None,
    logger_provider: Any = None,
    service_name: str | None = None,
    capture_content: bool | str | None = None,
    max_content_length: int | None = None,
    redact: _config.Redactor | None = None,
    libraries: list[str] | None = None,
    **options: Any,
) -> Instrumentation:
    """Instrument every supported library that is installed, and set up OpenTelemetry if needed.

    With no providers given and none configured globally, agentotel creates a
    TracerProvider (service name from ``OTEL_SERVICE_NAME`` or the script
    name) exporting over OTLP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, and
    to the local trace store otherwise. A second call returns the first handle.
    ``libraries`` limits instrumentation to the given short names.
    """
    global _current
    with _lock:
        if _current is not None:
            return _current
        setting_options, library_options = _split_options(options)
        settings = _config.from_env(
            content=capture_content,
            max_content_length=max_content_length,
            redact=redact,
            **setting_options,
        )
        if _sdk_disabled():
            # OTEL_SDK_DISABLED=true: no providers, no patching; the handle only records that.
            _current = Instrumentation(
                settings, trace.get_tracer_provider(), metrics.get_meter_provider()
            )
            return _current
        owns = False
        if tracer_provider is None:
            existing = trace.get_tracer_provider()
            if _is_sdk_provider(existing):
                tracer_provider = existing
            else:
                tracer_provider = _build_tracer_provider(service_name)
                trace.set_tracer_provider(tracer_provider)
                owns = True
        if meter_provider is None:
            existing_meter = metrics.get_meter_provider()
            if _is_sdk_provider(existing_meter):
                meter_provider = existing_meter
            elif owns:
                meter_provider = _build_meter_provider(tracer_provider.resource)
                if meter_provider is not None:
                    metrics.set_meter_provider(meter_provider)
        if owns and meter_provider is not None:
            # The pipeline's own health (queue size, drops, exports) as SDK self-observability metrics.
            for processor in getattr(
                tracer_provider._active_span_processor, "_span_processors", ()
            ):
                register = getattr(processor, "register_metrics", None)
                if callable(register):
                    register(meter_provider)
        if logger_provider is None and settings.content.on_event:
            logger_provider = _event_logger_provider(tracer_provider)
        handle = Instrumentation(settings, tracer_provider, meter_provider, owns_providers=owns)
        only = set(libraries) if libraries is not None else None
        kwargs = {
            "tracer_provider": tracer_provider,
            "meter_provider": meter_provider,
            "logger_provider": logger_provider,
            "settings": settings,
        }
        for name, (target, package) in REGISTRY.items():
            if not _wanted(name, settings, only) or not _installed(package):
                continue
            _start(handle, name, target, {**kwargs, **library_options.get(name, {})})
        for ep in entry_points(group=THIRD_PARTY_GROUP):
            if _wanted(ep.name, settings, only) and ep.name not in handle.instrumentors:
                _start(handle, ep.name, ep.value, {**kwargs, **library_options.get(ep.name, {})})
        _current = handle
        return handle


def _split_options(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Settings fields vs per-library options named ``{library}_{option}``.

    ``anthropic_native_spans="keep"`` reaches the Anthropic instrumentor as
    ``native_spans="keep"``. Anything else unknown is a mistake worth a loud error.
    """
    fields = {f.name for f in dataclasses.fields(_config.Settings)}
    settings: dict[str, Any] = {}
    libraries: dict[str, dict[str, Any]] = {}
    for key, value in options.items():
        if key in fields:
            settings[key] = value
            continue
        library = next(
            (n for n in sorted(REGISTRY, key=len, reverse=True) if key.startswith(n + "_")), None
        )
        if library is None:
            raise TypeError(f"agentotel.instrument() got an unexpected keyword argument {key!r}")
        libraries.setdefault(library, {})[key[len(library) + 1 :]] = value
    return settings, libraries


def _start(handle: Instrumentation, name: str, target: str, kwargs: dict[str, Any]) -> None:
    try:
        instrumentor = _load(target)()
        if instrumentor.is_instrumented_by_opentelemetry:
            # Already instrumented on its own (e.g. by opentelemetry-instrument).
            return
        instrumentor.instrument(**kwargs)
        if instrumentor.is_instrumented_by_opentelemetry:
            handle.instrumentors[name] = instrumentor
    except Exception as exc:
        _log.warning("agentotel: could not instrument %s: %s", name, exc)


def uninstrument() -> None:
    """Undo :func:`instrument` (no-op when nothing is instrumented)."""
    current = _current
    if current is not None:
        current.uninstrument()


def current() -> Instrumentation | None:
    """The active handle, if :func:`instrument` has run."""
    return _current
