"""Fixtures: LangChain instrumented on test-local providers, undone after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentotel.instrumentation.langchain import LangChainInstrumentor


@pytest.fixture
def instrument(
    tracer_provider: TracerProvider, meter_provider: MeterProvider
) -> Iterator[Callable[..., LangChainInstrumentor]]:
    instrumentor = LangChainInstrumentor()

    def start(**kwargs: Any) -> LangChainInstrumentor:
        instrumentor.instrument(
            tracer_provider=tracer_provider, meter_provider=meter_provider, **kwargs
        )
        return instrumentor

    yield start
    instrumentor.uninstrument()


@pytest.fixture
def instrumented(instrument: Callable[..., LangChainInstrumentor]) -> LangChainInstrumentor:
    return instrument()


@pytest.fixture
def spans(span_exporter: InMemorySpanExporter) -> Callable[[], tuple[ReadableSpan, ...]]:
    return span_exporter.get_finished_spans
