"""What ``agentotel run`` does at startup of each program process.

It calls ``agentotel.instrument()``. Where that does not exist (an older
install), it still records spans: a global tracer provider carrying the run
identity, exporting through a batch processor into the local store.
"""

from __future__ import annotations

import os

from agentotel import _safety


def start() -> None:
    import agentotel

    instrument = getattr(agentotel, "instrument", None)
    if callable(instrument):
        instrument()
        return
    try:
        _fallback()
    except Exception as exc:
        _safety.report("cli.autoinstrument", exc)


def _fallback() -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    from agentotel._resource import run_resource_attributes
    from agentotel.store import store_enabled, store_processor

    if not store_enabled(os.environ):
        return
    if not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        return  # the program or another distro already configured tracing
    provider = TracerProvider(resource=Resource.create(dict(run_resource_attributes())))
    provider.add_span_processor(store_processor())
    trace.set_tracer_provider(provider)
