"""``PipelineStats``: what happened to the spans of one tracer provider, in one snapshot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PipelineStats:
    """Counts since instrumentation started, over every agentotel processor of the provider.

    ``created`` counts sampled spans that ended (each once, however many
    destinations there are). ``exported`` and ``dropped`` count per
    destination: with OTLP and the local store both on, a span delivered to
    both counts twice in ``exported``. ``dropped`` maps a reason
    (``queue_full``, ``circuit_open``, ``timeout``, an HTTP status...) to the
    spans lost for it, refused by a processor or failed on export alike.
    ``queue_size`` is spans still waiting. ``destinations`` has the same counts
    per destination (an endpoint URL or a store path).
    """

    created: int = 0
    exported: int = 0
    dropped: Mapping[str, int] = field(default_factory=dict)
    queue_size: int = 0
    destinations: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        """Every span export that will not happen, over all reasons."""
        return sum(self.dropped.values())


def processors_of(tracer_provider: Any) -> list[Any]:
    """The span processors of an SDK ``TracerProvider`` that keep agentotel's counters."""
    active = getattr(tracer_provider, "_active_span_processor", None)
    found = getattr(active, "_span_processors", ()) or ()
    return [p for p in found if callable(getattr(p, "drop_report", None))]


def pipeline_stats(tracer_provider: Any) -> PipelineStats:
    """Add up the counters of ``tracer_provider``'s agentotel processors."""
    created = exported = queue_size = 0
    dropped: dict[str, int] = {}
    destinations: dict[str, Mapping[str, Any]] = {}
    for processor in processors_of(tracer_provider):
        received, lost, _capacity, destination = processor.drop_report()
        snap = processor.stats()
        created = max(created, received)
        exported += snap.exported
        queue_size += snap.queue_size + snap.encoded_unsent
        for reason, n in lost.items():
            dropped[reason] = dropped.get(reason, 0) + n
        destinations[destination] = {
            "exported": snap.exported,
            "dropped": lost,
            "queue_size": snap.queue_size + snap.encoded_unsent,
        }
    return PipelineStats(created, exported, dropped, queue_size, destinations)


__all__ = ["PipelineStats", "pipeline_stats", "processors_of"]
