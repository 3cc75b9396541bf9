"""The export pipeline: a low-overhead batching span processor and an OTLP/HTTP exporter.

Recommended wiring::

    from agentotel.export import BatchSpanProcessor, OTLPSpanExporter

    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
"""

from __future__ import annotations

from agentotel.export._encoding import EncodedBatch, encode_spans
from agentotel.export._otlp import ExporterStats, OTLPSpanExporter
from agentotel.export._processor import BatchSpanProcessor, ProcessorStats
from agentotel.export._staged import (
    Outcome,
    RecordBatch,
    SelfObserving,
    StagedBatch,
    StagedExporter,
)
from agentotel.export._stats import PipelineStats
from agentotel.export._wire import PartialSuccess, parse_partial_success

__all__ = [
    "BatchSpanProcessor",
    "EncodedBatch",
    "ExporterStats",
    "OTLPSpanExporter",
    "Outcome",
    "PartialSuccess",
    "PipelineStats",
    "ProcessorStats",
    "RecordBatch",
    "SelfObserving",
    "StagedBatch",
    "StagedExporter",
    "encode_spans",
    "parse_partial_success",
]
