"""A batching span processor whose ``on_end`` costs almost nothing on the application thread.

Ended spans go into a deque (one length check, one append). Two daemon threads do
the rest: the *encoder* and the *sender*. With a :class:`StagedExporter` (such as
agentotel's OTLP exporter) spans are encoded a few dozen at a time as they arrive,
so span objects die young (no cyclic-GC pressure) and batches hold only bytes;
the sender posts finished batches, retrying as the exporter decides. Encoded
batches waiting for the sender are bounded by ``max_queue_bytes``; when the
sender falls behind, the encoder stops taking spans and the span queue fills
until new spans are dropped (newest first) and counted. Other exporters get
batches of span objects, as with the SDK's processor.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, attach, detach, set_value
from opentelemetry.metrics import CallbackOptions, MeterProvider, Observation
from opentelemetry.sdk.environment_variables import (
    OTEL_BSP_EXPORT_TIMEOUT,
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
    OTEL_BSP_MAX_QUEUE_SIZE,
    OTEL_BSP_SCHEDULE_DELAY,
)
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from agentotel import _safety, semconv
from agentotel.export import _drops, _exit
from agentotel.export._otlp import resolve_timeout
from agentotel.export._staged import RecordBatch, SelfObserving, StagedBatch, StagedExporter
from agentotel.version import __version__

MAX_QUEUE_BYTES_ENV: Final = "AGENTOTEL_BSP_MAX_QUEUE_BYTES"
BLOCK_ON_FULL_ENV: Final = "AGENTOTEL_BSP_BLOCK_ON_FULL"
EXIT_TIMEOUT_ENV: Final = _exit.EXIT_TIMEOUT_ENV
DEFAULT_MAX_QUEUE_SIZE: Final = 2048
DEFAULT_SCHEDULE_DELAY_MILLIS: Final = 5000
DEFAULT_MAX_EXPORT_BATCH_SIZE: Final = 512
DEFAULT_EXPORT_TIMEOUT_MILLIS: Final = 30000
DEFAULT_MAX_QUEUE_BYTES: Final = 16 * 1024 * 1024
DEFAULT_EXIT_TIMEOUT_MILLIS: Final = _exit.DEFAULT_EXIT_TIMEOUT * 1000
# Spans encoded per step (agentotel exporter), so a flush marker is honoured
# promptly. The encoder itself wakes only for a full batch, the schedule delay or
# a flush: while the application keeps the GIL busy, every time a background
# thread has to win the GIL back costs milliseconds of CPU (CPython's GIL hands
# over on a timed drop request, and short voluntary releases by the busy thread
# keep resetting it), so background wake-ups and GIL releases are kept per batch.
ENCODE_CHUNK: Final = 32
_component_ids = iter(range(1 << 62))


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        return default
    return value if value >= 0 else default


@dataclass(frozen=True)
class ProcessorStats:
    """A snapshot of a :class:`BatchSpanProcessor`'s counters.

    ``dropped`` counts spans the processor refused (``queue_full``,
    ``already_shutdown``); ``failed`` counts spans handed on for export that did
    not arrive, by ``error.type`` (``circuit_open``, ``timeout``, an HTTP status,
    ``rejected``...). ``processed`` is every span handed on for export.
    ``queue_size`` counts spans not yet encoded; ``encoded_unsent`` spans already
    encoded into the batch being filled; ``pending_bytes`` the encoded bytes of
    that batch plus the batches waiting for the sender.
    """

    queue_size: int
    queue_capacity: int
    pending_bytes: int
    pending_bytes_capacity: int
    processed: int
    exported: int
    dropped: Mapping[str, int] = field(default_factory=dict)
    failed: Mapping[str, int] = field(default_factory=dict)
    encoded_unsent: int = 0

    @property
    def lost(self) -> int:
        """Every span that was ended but will never reach the backend."""
        return sum(self.dropped.values()) + sum(self.failed.values())


class _Marker:
    """A flush request travelling through both queues behind the spans it must see out."""

    __slots__ = ("done", "enc_failed", "snap_enc", "snap_send", "success")

    def __init__(self, snap_enc: int, snap_send: int) -> None:
        self.done = threading.Event()
        self.snap_enc = snap_enc
        self.snap_send = snap_send
        self.enc_failed = 0
        self.success = False


class _Payload:
    __slots__ = ("body", "count", "size")

    def __init__(self, body: Any, count: int, size: int) -> None:
        self.body = body
        self.count = count
        self.size = size


class BatchSpanProcessor(SpanProcessor):
    """Batches ended, sampled spans and exports them from background threads.

    A drop-in for the SDK's ``BatchSpanProcessor`` (same arguments, same
    ``OTEL_BSP_*`` variables) that works with any ``SpanExporter``; with a
    :class:`StagedExporter` (agentotel's :class:`OTLPSpanExporter`, or any
    exporter implementing the protocol) encoding and sending are pipelined and
    a down endpoint costs no encoding work.
    """

    def __init__(
        self,
        span_exporter: SpanExporter,
        max_queue_size: int | None = None,
        schedule_delay_millis: float | None = None,
        max_export_batch_size: int | None = None,
        export_timeout_millis: float | None = None,
        max_queue_bytes: int | None = None,
        *,
        exit_timeout_millis: float | None = None,
        block_on_full_millis: float | None = None,
        meter_provider: MeterProvider | None = None,
    ) -> None:
        capacity = int(
            max_queue_size
            if max_queue_size is not None
            else _env_number(OTEL_BSP_MAX_QUEUE_SIZE, DEFAULT_MAX_QUEUE_SIZE)
        )
        batch = int(
            max_export_batch_size
            if max_export_batch_size is not None
            else _env_number(OTEL_BSP_MAX_EXPORT_BATCH_SIZE, DEFAULT_MAX_EXPORT_BATCH_SIZE)
        )
        delay = (
            schedule_delay_millis
            if schedule_delay_millis is not None
            else _env_number(OTEL_BSP_SCHEDULE_DELAY, DEFAULT_SCHEDULE_DELAY_MILLIS)
        )
        export_timeout = (
            export_timeout_millis
            if export_timeout_millis is not None
            else _env_number(OTEL_BSP_EXPORT_TIMEOUT, DEFAULT_EXPORT_TIMEOUT_MILLIS)
        )
        budget = int(
            max_queue_bytes
            if max_queue_bytes is not None
            else _env_number(MAX_QUEUE_BYTES_ENV, DEFAULT_MAX_QUEUE_BYTES)
        )
        if max_export_batch_size is None and OTEL_BSP_MAX_EXPORT_BATCH_SIZE not in os.environ:
            batch = min(batch, capacity)  # a small queue alone implies small batches
        if capacity <= 0:
            raise ValueError("max_queue_size must be a positive integer.")
        if batch <= 0 or batch > capacity:
            raise ValueError("max_export_batch_size must be positive and <= max_queue_size.")
        if delay <= 0:
            raise ValueError("schedule_delay_millis must be positive.")
        self.span_exporter = span_exporter
        self._stager: StagedExporter | None = (
            span_exporter if isinstance(span_exporter, StagedExporter) else None
        )
        self._staged = self._stager is not None
        self._capacity = capacity
        self._batch = batch
        # How many queued spans wake the encoder: a chunk when spans are encoded
        # on arrival, a whole batch when an exporter needs the span objects.
        self._chunk = min(ENCODE_CHUNK, batch) if self._staged else batch
        self._delay = delay / 1000.0
        self._export_timeout = (export_timeout or DEFAULT_EXPORT_TIMEOUT_MILLIS) / 1000.0
        self._budget = max(budget, 1)
        # When the queue is full, on_end waits up to this long for room (0, the default:
        # drop at once). After one wait runs out, spans drop without waiting until an
        # export succeeds, so a stalled exporter costs the application one wait, not one
        # per span. For slow local destinations (a store) where a short wait beats a loss.
        block = (
            block_on_full_millis
            if block_on_full_millis is not None
            else _env_number(BLOCK_ON_FULL_ENV, 0.0)
        )
        self._block = max(block, 0.0) / 1000.0
        # None: the process-wide exit deadline (AGENTOTEL_EXIT_TIMEOUT) applies.
        self._exit_timeout = None if exit_timeout_millis is None else exit_timeout_millis / 1000.0
        self._component_name = f"{semconv.COMPONENT_BATCHING_SPAN_PROCESSOR}/{next(_component_ids)}"
        self._shutdown = False
        self._hard_deadline = float("inf")
        self._reset_state()
        weak_self = weakref.ref(self)

        def _at_exit(deadline: float) -> None:
            processor = weak_self()
            if processor is not None:
                processor._exit(deadline)

        def _after_fork() -> None:
            processor = weak_self()
            if processor is not None:
                processor._reset_state()

        self._exit_key = _exit.at_exit(_at_exit, _exit.SPANS)
        _exit.at_end(_drops.print_summary)
        _drops.track(self)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=_after_fork)
        if meter_provider is not None:
            self.register_metrics(meter_provider)

    def _reset_state(self) -> None:
        """Fresh queues, locks and counters; used at start and in a forked child."""
        self._queue: deque[Any] = deque()
        # on_end's thresholds: drop at _limit, wake the encoder at _wake_at. A
        # _wake_at of 0 sends the first span down the slow path, which starts the
        # threads lazily (also in a forked child).
        self._limit = -1 if self._shutdown else self._capacity
        self._wake_at = 0
        self._waking = False
        self._stalled = False
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._drain_lock = threading.Lock()  # one thread encodes at a time
        self._open: StagedBatch = self._new_batch()
        self._due = float("inf")
        self._outbox: deque[_Payload | _Marker] = deque()
        self._outbox_bytes = 0
        self._outbox_cv = threading.Condition(threading.Lock())
        self._flushes = 0
        self._urgent = 0  # flushes waiting on the sender: refused connections end them at once
        self._stop = False
        self._encoder: threading.Thread | None = None
        self._sender: threading.Thread | None = None
        self._processed = 0
        self._exported = 0
        self._dropped: dict[str, int] = {}
        self._failed: dict[str, int] = {}
        self._enc_failed_total = 0
        self._send_failed_total = 0

    # --- the application thread -------------------------------------------------------

    def on_end(self, span: ReadableSpan) -> None:
        """Queue a sampled span: a flag test, a length check and an append."""
        ctx = span.context
        if ctx is None or not ctx[3] & 1:  # SpanContext[3] is trace_flags; bit 0 = sampled
            return
        queue = self._queue
        n = len(queue)
        if n >= self._limit and not (self._block and self._await_room()):
            self._refuse()
            return
        queue.append(span)
        if n >= self._wake_at and not self._waking:
            self._backlog()

    def _await_room(self) -> bool:
        """The queue is full: wait up to the block limit for the exporter to make room.

        Never on the processor's own threads (they would wait for themselves), never
        after shutdown, and not again after a wait ran out until an export succeeds.
        """
        worker = threading.current_thread()
        if self._stalled or self._shutdown or self._encoder is None:
            return False
        if worker is self._encoder or worker is self._sender:
            return False
        deadline = time.monotonic() + self._block
        self._wake.set()
        with self._outbox_cv:  # notified whenever the encoder moves a batch on
            while len(self._queue) >= self._limit:
                remaining = deadline - time.monotonic()
                if self._stop or remaining <= 0:
                    self._stalled = True
                    return False
                self._outbox_cv.wait(min(remaining, 0.05))
        return True

    def _refuse(self) -> None:
        reason = semconv.DROP_ALREADY_SHUTDOWN if self._shutdown else semconv.DROP_QUEUE_FULL
        with self._lock:
            first = not self._dropped
            self._dropped[reason] = self._dropped.get(reason, 0) + 1
        if first and not _drops.warned():
            self._wake.set()  # the encoder thread logs the warning, not this one

    def _backlog(self) -> None:
        """A chunk is queued: encode it here if nobody else is, else wake the encoder.

        With agentotel's exporter the application thread encodes the chunk itself
        (in one warm pass, before the spans grow old) and the encoder thread only
        runs for the schedule delay, flushes, and when the sender falls behind. A
        background thread would first have to win the GIL from this busy thread,
        which costs more CPU than the encoding does.
        """
        if self._encoder is None:
            self._start_threads()  # the first span: start the threads, arm the thresholds
            return
        if self._staged and not self._stop and self._drain_lock.acquire(False):
            try:
                if self._drain_encoding(partial=False, wait_for_room=True, inline=True):
                    return
            except Exception as exc:
                _safety.report("export.encoder", exc)
                return
            finally:
                self._drain_lock.release()
        self._waking = True
        self._wake.set()

    def _start_threads(self) -> bool:
        with self._lock:
            if self._encoder is not None:
                return True
            if self._stop:
                return False
            encoder = threading.Thread(
                target=self._encode_loop, name="agentotel-span-encoder", daemon=True
            )
            sender = threading.Thread(
                target=self._send_loop, name="agentotel-span-sender", daemon=True
            )
            try:
                encoder.start()
                sender.start()
            except RuntimeError:  # interpreter shutting down: callers drive inline
                self._waking = False
                return False
            self._encoder, self._sender = encoder, sender
            self._wake_at = self._chunk - 1
            return True

    # --- flushing and shutdown ----------------------------------------------------------

    def force_flush(self, timeout_millis: float | None = None) -> bool:
        """Export every span ended before the call; True only if all of them arrived in time.

        Without ``timeout_millis`` the bound is ``OTEL_EXPORTER_OTLP_TIMEOUT``
        (10 s by default). A refused connection ends the wait at once.
        """
        if self._shutdown:
            return False
        return self._flush(time.monotonic() + self._timeout_seconds(timeout_millis))

    @staticmethod
    def _timeout_seconds(timeout_millis: float | None) -> float:
        return resolve_timeout() if timeout_millis is None else timeout_millis / 1000.0

    def _flush(self, deadline: float) -> bool:
        with self._lock:
            marker = _Marker(self._enc_failed_total, self._send_failed_total)
            self._flushes += 1
            self._urgent += 1
        if self._encoder is None and not self._queue and not self._outbox and not self._open:
            return True  # nothing was ever queued here: no threads needed
        self._queue.append(marker)
        if self._encoder is None and not self._start_threads():
            self._drive_inline(deadline)
        else:
            self._wake.set()
        remaining = deadline - time.monotonic()
        return marker.done.wait(max(remaining, 0.0)) and marker.success

    def shutdown(self, timeout_millis: float | None = None) -> bool:  # type: ignore[override]
        """Flush, stop the threads and shut the exporter down, all within ``timeout_millis``.

        Without ``timeout_millis`` the bound is ``OTEL_EXPORTER_OTLP_TIMEOUT``
        (10 s by default). Spans ended afterwards are dropped and counted as
        ``already_shutdown``. Returns True only if every queued span was
        exported in time.
        """
        if self._shutdown:
            return False
        if timeout_millis is None and _exit.exiting():
            return self._shutdown_by(self._exit_deadline(_exit.exit_deadline()))
        return self._shutdown_by(time.monotonic() + self._timeout_seconds(timeout_millis))

    def _shutdown_by(self, deadline: float) -> bool:
        self._hard_deadline = deadline
        self._shutdown = True
        self._limit = -1
        _exit.cancel(self._exit_key)
        ok = self._flush(deadline)
        self._stop = True
        self._wake.set()
        with self._outbox_cv:
            self._outbox_cv.notify_all()
        for thread in (self._encoder, self._sender):
            if thread is not None and thread is not threading.current_thread():
                thread.join(max(deadline - time.monotonic(), 0.0))
        try:
            self.span_exporter.shutdown()
        except Exception:
            ok = False
        return ok

    def _exit(self, deadline: float) -> None:
        if not self._shutdown:
            self._shutdown_by(self._exit_deadline(deadline))

    def _exit_deadline(self, shared: float) -> float:
        """This processor's own ``exit_timeout_millis`` if it has one, else the shared deadline."""
        if self._exit_timeout is not None:
            return time.monotonic() + self._exit_timeout
        return shared

    # --- observability ----------------------------------------------------------------

    def destination(self) -> str:
        """Where this processor's spans go, for messages: an endpoint, a path or a class."""
        exporter = self.span_exporter
        for attr in ("endpoint", "path"):
            value = getattr(exporter, attr, None)
            if isinstance(value, str) and value:
                return value
        return type(exporter).__name__

    def drop_report(self) -> tuple[int, dict[str, int], int, str]:
        """Spans received, spans lost by reason, queue capacity, destination (for messages)."""
        snap = self.stats()
        lost = dict(snap.dropped)
        for reason, n in snap.failed.items():
            lost[reason] = lost.get(reason, 0) + n
        received = snap.processed + sum(snap.dropped.values()) + snap.queue_size
        return received, lost, self._capacity, self.destination()

    def _maybe_warn(self) -> None:
        """Log the process's one drop warning if this processor has lost spans.

        At exit the summary line on stderr says it instead (with the same hint).
        """
        if _drops.warned() or not (self._dropped or self._failed) or _exit.exiting():
            return
        _received, lost, capacity, destination = self.drop_report()
        _drops.warn_once(lost, capacity, destination)

    def stats(self) -> ProcessorStats:
        """Counters since start (or since fork, in a child process)."""
        with self._lock:
            return ProcessorStats(
                queue_size=len(self._queue),
                queue_capacity=self._capacity,
                pending_bytes=self._outbox_bytes + self._open.size if self._staged else 0,
                pending_bytes_capacity=self._budget if self._staged else 0,
                processed=self._processed,
                exported=self._exported,
                dropped=dict(self._dropped),
                failed=dict(self._failed),
                encoded_unsent=self._open.count,
            )

    def register_metrics(self, meter_provider: MeterProvider) -> None:
        """Expose ``otel.sdk.processor.span.*`` (and the exporter's) as observable instruments.

        The callbacks read the counters when the meter provider collects, so
        nothing is recorded on the application thread.
        """
        meter = meter_provider.get_meter("agentotel.export", __version__)
        base = {
            semconv.OTEL_COMPONENT_TYPE: semconv.COMPONENT_BATCHING_SPAN_PROCESSOR,
            semconv.OTEL_COMPONENT_NAME: self._component_name,
        }

        def processed(_options: CallbackOptions) -> list[Observation]:
            snap = self.stats()
            out = [Observation(snap.processed, base)]
            out.extend(
                Observation(n, {**base, semconv.ERROR_TYPE: reason})
                for reason, n in sorted(snap.dropped.items())
            )
            return out

        def queue_size(_options: CallbackOptions) -> list[Observation]:
            return [Observation(len(self._queue), base)]

        def capacity(_options: CallbackOptions) -> list[Observation]:
            return [Observation(self._capacity, base)]

        meter.create_observable_counter(
            semconv.OTEL_SDK_PROCESSOR_SPAN_PROCESSED,
            callbacks=[processed],
            unit="{span}",
            description="The number of spans for which the processing has finished, either successful or failed.",
        )
        meter.create_observable_up_down_counter(
            semconv.OTEL_SDK_PROCESSOR_SPAN_QUEUE_SIZE,
            callbacks=[queue_size],
            unit="{span}",
            description="The number of spans in the queue of a given instance of an SDK span processor.",
        )
        meter.create_observable_up_down_counter(
            semconv.OTEL_SDK_PROCESSOR_SPAN_QUEUE_CAPACITY,
            callbacks=[capacity],
            unit="{span}",
            description="The maximum number of spans the queue of a given instance of an SDK span processor can hold.",
        )
        exporter = self.span_exporter
        if isinstance(exporter, SelfObserving):
            try:
                exporter.register_metrics(meter_provider)
            except Exception as exc:  # the processor's own instruments stay registered
                _safety.report("export.register_metrics", exc)

    # --- the encoder thread -----------------------------------------------------------

    def _encode_loop(self) -> None:
        token = attach(set_value(_SUPPRESS_INSTRUMENTATION_KEY, True))
        self._due = time.monotonic() + self._delay
        try:
            while not self._stop:
                self._wake.wait(max(self._due - time.monotonic(), 0.0))
                self._wake.clear()
                self._waking = False
                try:
                    with self._drain_lock:
                        self._drain(partial=time.monotonic() >= self._due, wait_for_room=True)
                    self._maybe_warn()
                except Exception as exc:  # a bug here must not stop exporting for good
                    _safety.report("export.encoder", exc)
        finally:
            detach(token)

    def _drain(self, partial: bool, wait_for_room: bool) -> None:
        """Move queued spans on towards the sender; with ``partial``, unfilled batches too."""
        if self._staged:
            self._drain_encoding(partial, wait_for_room)
        else:
            self._drain_spans(partial, wait_for_room)
        if partial:
            self._due = time.monotonic() + self._delay

    def _drain_encoding(self, partial: bool, wait_for_room: bool, inline: bool = False) -> bool:
        """Encode everything queued, a chunk at a time, shipping batches as they fill.

        ``inline`` (an application thread) never waits: when a full batch finds
        the outbox over budget it returns False, leaving the rest to the encoder.

        No pauses between chunks: giving the GIL away on purpose would cost a
        contended re-acquisition each time; the interpreter's switch interval
        already bounds how long an application thread waits.
        """
        queue = self._queue
        popleft = queue.popleft
        chunk = self._chunk
        batch_size = self._batch
        todo = len(queue) if inline else -1  # inline: what is queued now, not what follows
        while not self._stop or not wait_for_room:
            n = len(queue)
            if n == 0 or todo == 0:
                break
            if todo > 0:
                n = min(n, todo)
                todo -= min(n, batch_size - self._open.count, chunk)
            room = batch_size - self._open.count
            spans: list[ReadableSpan] = []
            marker: _Marker | None = None
            for _ in range(min(n, room, chunk)):
                item = popleft()
                if type(item) is _Marker:
                    marker = item
                    break
                spans.append(item)
            if spans:
                self._encode(spans)
                del spans  # the span objects can go now; only bytes are kept
            full = marker is not None or self._open.count >= batch_size
            if full:
                if inline and self._outbox_bytes >= self._budget:
                    if marker is not None:
                        queue.appendleft(marker)
                    return False
                if not self._ship(wait_for_room):
                    return False
            if marker is not None:
                self._resolve_markers([marker])
        if partial:
            self._ship(wait_for_room)
        # Next trigger: a chunk queued, or enough to fill the batch being built.
        self._wake_at = max(min(chunk, batch_size - self._open.count) - 1, 0)
        return True

    def _new_batch(self) -> StagedBatch:
        stager = self._stager
        return stager.new_batch() if stager is not None else RecordBatch()

    def _encode(self, spans: list[ReadableSpan]) -> None:
        count = len(spans)
        with self._lock:
            self._processed += count
        exporter = self._stager
        assert exporter is not None
        if not exporter.accepts():
            exporter.drop(count, semconv.DROP_CIRCUIT_OPEN)
            self._tally_failed(count, semconv.DROP_CIRCUIT_OPEN, encoder=True)
            return
        lost = self._open.add(spans)
        if lost:
            exporter.drop(lost, semconv.DROP_EXPORT_FAILED)
            self._tally_failed(lost, semconv.DROP_EXPORT_FAILED, encoder=True)

    def _ship(self, wait_for_room: bool) -> bool:
        """Hand the batch being filled to the sender; False if the processor stopped first."""
        batch = self._open
        if not batch.count:
            return True
        if wait_for_room and not self._wait_for_room():
            return False
        self._open = self._new_batch()
        body = batch.body()
        size = len(body) if type(body) is bytes else batch.size
        self._post(_Payload(body, batch.count, size), size)
        self._due = time.monotonic() + self._delay
        return True

    def _resolve_markers(self, markers: list[_Marker]) -> None:
        """Queue flush markers behind everything encoded before them."""
        with self._lock:
            self._flushes -= len(markers)
            for marker in markers:
                marker.enc_failed = self._enc_failed_total - marker.snap_enc
        for marker in markers:
            self._post(marker, 0)

    def _drain_spans(self, partial: bool, wait_for_room: bool) -> None:
        """Hand span batches to a generic exporter: full batches, or everything if ``partial``."""
        queue = self._queue
        batch_size = self._batch
        while not self._stop or not wait_for_room:
            n = len(queue)
            if n == 0 or (n < batch_size and not partial and not self._flushes):
                return
            if wait_for_room and not self._wait_for_room():
                return
            spans: list[ReadableSpan] = []
            markers: list[_Marker] = []
            popleft = queue.popleft
            for _ in range(min(n, batch_size)):
                item = popleft()
                if type(item) is _Marker:
                    markers.append(item)
                    break
                spans.append(item)
            if spans:
                with self._lock:
                    self._processed += len(spans)
                self._post(_Payload(spans, len(spans), 1), 1)
            if markers:
                self._resolve_markers(markers)

    def _wait_for_room(self) -> bool:
        """Block until the outbox can take another batch (or the processor stops)."""
        limit = self._budget if self._staged else 1
        with self._outbox_cv:
            while self._outbox_bytes >= limit and not self._stop:
                self._outbox_cv.wait(0.5)
        return not self._stop

    def _post(self, item: _Payload | _Marker, size: int) -> None:
        with self._outbox_cv:
            self._outbox.append(item)
            self._outbox_bytes += size
            self._outbox_cv.notify_all()

    # --- the sender thread ------------------------------------------------------------

    def _send_loop(self) -> None:
        token = attach(set_value(_SUPPRESS_INSTRUMENTATION_KEY, True))
        try:
            while True:
                with self._outbox_cv:
                    while not self._outbox and not self._stop:
                        self._outbox_cv.wait(1.0)
                    if not self._outbox:
                        return
                    item = self._outbox[0]
                try:
                    self._deliver(item)
                except Exception as exc:
                    _safety.report("export.sender", exc)
        finally:
            detach(token)

    def _deliver(self, item: _Payload | _Marker) -> None:
        """Send (or resolve) the head of the outbox, then remove it."""
        try:
            if type(item) is _Marker:
                with self._lock:
                    send_failed = self._send_failed_total - item.snap_send
                    self._urgent -= 1
                item.success = item.enc_failed == 0 and send_failed == 0
                item.done.set()
            else:
                assert isinstance(item, _Payload)
                self._export(item)
        finally:
            with self._outbox_cv:
                if self._outbox and self._outbox[0] is item:
                    self._outbox.popleft()
                    if type(item) is _Payload:
                        self._outbox_bytes -= item.size
                self._outbox_cv.notify_all()

    def _export(self, payload: _Payload) -> None:
        deadline = min(time.monotonic() + self._export_timeout, self._hard_deadline)
        exporter = self.span_exporter
        stager = self._stager
        if stager is not None:
            patient = not self._urgent and not self._shutdown
            outcome = stager.send(payload.body, payload.count, deadline, patient=patient)
            exported, failed, reason = outcome.exported, outcome.failed, outcome.error_type
        else:
            try:
                result = exporter.export(payload.body)
            except Exception as exc:
                exported, failed, reason = 0, payload.count, type(exc).__qualname__
            else:
                ok = result is SpanExportResult.SUCCESS
                exported = payload.count if ok else 0
                failed = 0 if ok else payload.count
                reason = None if ok else semconv.DROP_EXPORT_FAILED
        with self._lock:
            self._exported += exported
        if exported:
            self._stalled = False
        if failed:
            self._tally_failed(failed, reason or semconv.DROP_EXPORT_FAILED, encoder=False)
            self._maybe_warn()

    def _tally_failed(self, count: int, reason: str, encoder: bool) -> None:
        with self._lock:
            self._failed[reason] = self._failed.get(reason, 0) + count
            if encoder:
                self._enc_failed_total += count
            else:
                self._send_failed_total += count

    # --- no threads available (interpreter exit) --------------------------------------

    def _drive_inline(self, deadline: float) -> None:
        """Do the threads' work on the calling thread, until the queues are empty or time is up."""
        token = attach(set_value(_SUPPRESS_INSTRUMENTATION_KEY, True))
        saved = self._hard_deadline
        self._hard_deadline = min(saved, deadline)
        try:
            while time.monotonic() < deadline:
                with self._drain_lock:
                    self._drain(partial=True, wait_for_room=False)
                with self._outbox_cv:
                    item = self._outbox[0] if self._outbox else None
                if item is None:
                    if not self._queue:
                        return
                    continue
                self._deliver(item)
        finally:
            self._hard_deadline = saved
            detach(token)


__all__ = ["BatchSpanProcessor", "ProcessorStats"]
