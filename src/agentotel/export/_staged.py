"""What the batching processor needs from an exporter to take spans on arrival.

An exporter that implements :class:`StagedExporter` gets the processor's fast
path: spans are converted into the exporter's own batch format a chunk at a
time as they end (so span objects die young), and finished batches are sent
from the sender thread while the next one fills. Any other ``SpanExporter``
gets lists of span objects, as with the SDK's processor. The processor checks
the interface, never a concrete class, so the OTLP exporter, the local store
or a future exporter all qualify by implementing four methods.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from opentelemetry.metrics import MeterProvider
from opentelemetry.sdk.trace import ReadableSpan


@dataclass(frozen=True)
class Outcome:
    """How one export operation ended: spans delivered, spans lost and why."""

    exported: int
    failed: int
    error_type: str | None = None
    status_code: int | None = None


@runtime_checkable
class StagedBatch(Protocol):
    """A batch being filled: spans go in as they arrive, one body comes out."""

    count: int
    """Spans held."""
    size: int
    """Bytes held (or an estimate): what ``max_queue_bytes`` is compared with."""

    def add(self, spans: Sequence[ReadableSpan]) -> int:
        """Take ``spans`` in; return how many of them could not be taken (and are lost)."""
        ...

    def body(self) -> Any:
        """What :meth:`StagedExporter.send` sends for everything added so far."""
        ...


@runtime_checkable
class StagedExporter(Protocol):
    """An exporter whose batches are built on arrival and sent separately.

    The processor calls ``new_batch`` and ``add`` on the thread that ends a
    chunk of spans (or on its encoder thread), and ``send`` on its sender
    thread, one call at a time.
    """

    def new_batch(self) -> StagedBatch:
        """An empty batch to fill."""
        ...

    def accepts(self) -> bool:
        """False when spans would be lost anyway (circuit open, shut down): skip the work."""
        ...

    def drop(self, count: int, error_type: str) -> None:
        """Count spans lost before they reached :meth:`send`."""
        ...

    def send(self, body: Any, count: int, deadline: float, *, patient: bool = True) -> Outcome:
        """Deliver one batch body by ``deadline`` (a ``time.monotonic()`` value).

        ``patient=False`` (a flush or shutdown is waiting) asks the exporter to
        give up at once on an endpoint that refuses connections rather than
        retry until the deadline.
        """
        ...


@runtime_checkable
class SelfObserving(Protocol):
    """An exporter that exposes its own ``otel.sdk.exporter.*`` instruments."""

    def register_metrics(self, meter_provider: MeterProvider) -> None: ...


class RecordBatch:
    """A :class:`StagedBatch` of records converted from spans on arrival.

    For exporters that keep their own record type (a store row, a JSON
    document): ``convert`` turns a span into a record, or ``None`` to leave it
    out; ``record_size`` is the byte estimate per record for the processor's
    memory budget.
    """

    __slots__ = ("_convert", "count", "record_size", "records", "size")

    def __init__(
        self, convert: Callable[[ReadableSpan], Any] | None = None, record_size: int = 1024
    ) -> None:
        self._convert = convert
        self.records: list[Any] = []
        self.record_size = record_size
        self.count = 0
        self.size = 0

    def __len__(self) -> int:
        return self.count

    def add(self, spans: Sequence[ReadableSpan]) -> int:
        convert = self._convert
        lost = 0
        for span in spans:
            try:
                record = span if convert is None else convert(span)
            except Exception:
                record = None
            if record is None:
                lost += 1
                continue
            self.records.append(record)
        added = len(spans) - lost
        self.count += added
        self.size += added * self.record_size
        return lost

    def body(self) -> list[Any]:
        return self.records


__all__ = ["Outcome", "RecordBatch", "SelfObserving", "StagedBatch", "StagedExporter"]
