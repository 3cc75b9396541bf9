"""agentotel's OpenAI instrumentor against the uninstrumented call, in one process.

Drives the real openai SDK through an in-process mock transport and alternates blocks of calls
with the instrumentor on and off (ABBA order), so each instrumented block is compared with its
neighbour on the same noisy machine. CPU is ``time.process_time()`` (all threads), and each
block ends with a flush inside its timed window, so export work counts. Spans go to a loopback
OTLP sink in a separate process. Prints the added CPU per call in µs and its ratio to the call.

Usage: ``python benchmarks/bench_openai.py [--rounds N] [--block-cpu S] [--pipeline P] [--json]``
where P is ``agentotel`` (its BatchSpanProcessor + OTLP exporter, the default), ``sdk``,
``agentotel-no-metrics``, ``bare`` or ``noop``; ``--breakdown`` runs them all in turn, and
``--profile CALLS`` prints a cProfile of the instrumented calls instead, and ``--components``
the tight-loop cost of each part of the telemetry path.
Providers are passed explicitly and never set globally, so tests can call :func:`measure`.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PEERS_DIR = Path(__file__).resolve().parent / "peers"
if str(PEERS_DIR) not in sys.path:
    sys.path.insert(0, str(PEERS_DIR))

import workloads  # noqa: E402
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor  # noqa: E402


@dataclass
class Result:
    """Medians over paired rounds; CPU in microseconds per call."""

    workload: str
    pipeline: str
    rounds: int
    calls_per_block: int
    base_cpu_us: float
    added_cpu_us: float
    added_cpu_us_min: float
    added_cpu_us_max: float
    ratio: float
    spans_per_call: float
    pairs_us: list[tuple[float, float]] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.workload} [{self.pipeline}]: uninstrumented {self.base_cpu_us:,.0f} µs/call, "
            f"agentotel adds {self.added_cpu_us:,.0f} µs/call "
            f"(min {self.added_cpu_us_min:,.0f}, max {self.added_cpu_us_max:,.0f}) = "
            f"{self.ratio:.3f}x the call; {self.spans_per_call:g} span/call; "
            f"{self.rounds} rounds of {self.calls_per_block} calls"
        )


@contextmanager
def sink() -> Iterator[str]:
    """A loopback OTLP/HTTP receiver in a child process; yields its base URL."""
    proc = subprocess.Popen(
        [sys.executable, str(PEERS_DIR / "receiver.py"), "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        port = proc.stdout.readline().split()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class _Counter(SpanProcessor):
    """A span processor that only counts ended spans (to check instrumentation happened)."""

    def __init__(self) -> None:
        self.ended = 0

    def on_end(self, span: ReadableSpan) -> None:
        self.ended += 1


PIPELINES = ("agentotel", "sdk", "agentotel-no-metrics", "bare", "noop")
"""agentotel: what ``agentotel.instrument()`` builds for an OTLP endpoint (its batch processor,
OTLP exporter and meter provider);
sdk: the SDK BatchSpanProcessor + OTLP exporter instead; agentotel-no-metrics: traces exported,
metrics recorded into a MeterProvider without readers; bare: no span processor, no metric
reader (the instrumentation and span construction alone); noop: OpenTelemetry's no-op tracer
and meter providers (the wrapper and extraction alone). Differences between them split the
overhead into wrapper, span construction, export and metrics."""


def _agentotel_default(endpoint: str, resource: Any) -> tuple[Any, Any, _Counter, str] | None:
    """The processors and meter provider `agentotel.instrument()` builds for an OTLP endpoint.

    Built by agentotel's own pipeline code (with the endpoint set in the environment only while
    it runs), so the benchmark follows whatever agentotel's default becomes. None if absent.
    """
    try:
        from agentotel import _pipeline
    except ImportError:
        return None
    from opentelemetry.sdk.trace import TracerProvider

    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_METRIC_EXPORT_INTERVAL": "600000"}
    saved = {key: os.environ.get(key) for key in (*env, "AGENTOTEL_STORE")}
    os.environ.update(env)
    os.environ.pop("AGENTOTEL_STORE", None)  # with an endpoint set, the default is no store
    try:
        if hasattr(_pipeline, "default_tracer_provider"):
            tracer_provider = _pipeline.default_tracer_provider(resource, True)
            processors = [tracer_provider]
        else:
            processors = _pipeline.default_processors(True)
            tracer_provider = None
        meter_provider = _pipeline.default_meter_provider(resource, True)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if not processors or meter_provider is None:
        return None
    if tracer_provider is None:
        tracer_provider = TracerProvider(resource=resource)
        for processor in processors:
            tracer_provider.add_span_processor(processor)
    counter = _Counter()
    tracer_provider.add_span_processor(counter)
    return tracer_provider, meter_provider, counter, "agentotel (agentotel.instrument()'s pipeline)"


def build_pipeline(endpoint: str, pipeline: str) -> tuple[Any, Any, _Counter, str]:
    """Tracer and meter providers for `pipeline` (see PIPELINES), never set globally."""
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    if pipeline not in PIPELINES:
        raise ValueError(f"unknown pipeline {pipeline!r}; choose from {PIPELINES}")
    if pipeline == "noop":
        from opentelemetry.metrics import NoOpMeterProvider
        from opentelemetry.trace import NoOpTracerProvider

        return NoOpTracerProvider(), NoOpMeterProvider(), _Counter(), pipeline
    resource = Resource.create({"service.name": "agentotel-bench"})
    if pipeline == "agentotel":
        built = _agentotel_default(endpoint, resource)
        if built is not None:
            return built
    used = pipeline
    processor: Any = None
    if pipeline in ("agentotel", "agentotel-no-metrics"):
        try:
            from agentotel.export import BatchSpanProcessor, OTLPSpanExporter

            processor = BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces"))
        except ImportError:
            used = f"{pipeline} (agentotel.export missing: SDK processor and exporter)"
    if processor is None and pipeline != "bare":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter as SDKSpanExporter,
        )
        from opentelemetry.sdk.trace.export import BatchSpanProcessor as SDKProcessor

        processor = SDKProcessor(SDKSpanExporter(endpoint=f"{endpoint}/v1/traces"))
    tracer_provider = TracerProvider(resource=resource)
    counter = _Counter()
    if processor is not None:
        tracer_provider.add_span_processor(processor)
    tracer_provider.add_span_processor(counter)
    readers = []
    if pipeline in ("agentotel", "sdk"):
        exporter = OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics")
        readers.append(PeriodicExportingMetricReader(exporter, export_interval_millis=600_000))
    meter_provider = MeterProvider(resource=resource, metric_readers=readers)
    return tracer_provider, meter_provider, counter, used


def _block(call: Callable[[], object], n: int, flush: Callable[[], object]) -> float:
    gc.collect()
    start = time.process_time()
    for _ in range(n):
        call()
    flush()
    return (time.process_time() - start) / n


def measure(
    rounds: int = 10,
    block_cpu: float = 0.3,
    pipeline: str = "agentotel",
    workload: str = "openai_chat",
    endpoint: str | None = None,
) -> Result:
    """Paired-alternation measurement of agentotel's added CPU per call on `workload`."""
    if endpoint is None:
        with sink() as url:
            return measure(rounds, block_cpu, pipeline, workload, url)

    from agentotel.instrumentation.openai import OpenAIInstrumentor

    tracer_provider, meter_provider, counter, used = build_pipeline(endpoint, pipeline)
    instrumentor = OpenAIInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        raise RuntimeError("OpenAIInstrumentor is already instrumented in this process")
    call = workloads.build(workload)

    def flush_base() -> None:
        if hasattr(tracer_provider, "force_flush"):
            tracer_provider.force_flush()

    def flush_inst() -> None:
        flush_base()
        if hasattr(meter_provider, "force_flush"):
            meter_provider.force_flush()

    def inst_block(n: int) -> float:
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
        try:
            return _block(call, n, flush_inst)
        finally:
            instrumentor.uninstrument()

    try:
        for _ in range(5):
            call()
        start, probe = time.process_time(), 0
        while time.process_time() - start < 0.1 or probe < 3:
            call()
            probe += 1
        n = max(3, round(block_cpu / ((time.process_time() - start) / probe)))
        _block(call, n, flush_base)
        inst_block(n)  # warm-up of both paths, not recorded
        counter.ended = 0
        pairs: list[tuple[float, float]] = []
        for r in range(rounds):
            if r % 2 == 0:
                base = _block(call, n, flush_base)
                inst = inst_block(n)
            else:
                inst = inst_block(n)
                base = _block(call, n, flush_base)
            pairs.append((base * 1e6, inst * 1e6))
        spans = counter.ended / (rounds * n)
    finally:
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
        for provider in (tracer_provider, meter_provider):
            if hasattr(provider, "shutdown"):
                provider.shutdown()

    added = [i - b for b, i in pairs]
    return Result(
        workload=workload,
        pipeline=used,
        rounds=rounds,
        calls_per_block=n,
        base_cpu_us=statistics.median(b for b, _ in pairs),
        added_cpu_us=statistics.median(added),
        added_cpu_us_min=min(added),
        added_cpu_us_max=max(added),
        ratio=statistics.median((i - b) / b for b, i in pairs),
        spans_per_call=spans,
        pairs_us=pairs,
    )


def profile(calls: int = 300, pipeline: str = "agentotel", top: int = 30) -> str:
    """cProfile of `calls` instrumented calls plus the flush: where agentotel's CPU goes.

    Only frames outside the openai/httpx2/pydantic call path are listed, sorted by own time,
    so the list reads as the instrumentation's (and the export pipeline's) cost.
    """
    import cProfile
    import io
    import pstats

    from agentotel.instrumentation.openai import OpenAIInstrumentor

    with sink() as url:
        tracer_provider, meter_provider, _, _ = build_pipeline(url, pipeline)
        instrumentor = OpenAIInstrumentor()
        call = workloads.build("openai_chat")
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
        try:
            for _ in range(20):
                call()
            tracer_provider.force_flush()
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(calls):
                call()
            tracer_provider.force_flush()
            meter_provider.force_flush()
            prof.disable()
        finally:
            instrumentor.uninstrument()
            tracer_provider.shutdown()
            meter_provider.shutdown()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("tottime").print_stats(r"agentotel|opentelemetry|wrapt|threading|socket", top)
    return buf.getvalue()


def _best_us(fn: Callable[[], object], n: int, repeats: int = 5) -> float:
    for _ in range(min(n, 200)):
        fn()
    gc.collect()
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(n):
            fn()
        best = min(best, (time.process_time() - start) / n * 1e6)
    return best


def components(n: int = 20_000, endpoint: str | None = None) -> list[tuple[str, float]]:
    """Warm tight-loop costs (best of 5, µs) of the pieces of one instrumented chat call.

    The telemetry cycle is what the wrapper does around the SDK call (extract request
    attributes, start the inference span, read the response, stop) without the SDK call
    itself, under different providers; encoding is per span for a 512-span batch. Lower
    bounds: inside a real call caches are colder.
    """
    if endpoint is None:
        with sink() as url:
            return components(n, url)
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import (
        encode_spans as sdk_encode,
    )
    from opentelemetry.metrics import NoOpMeterProvider
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import NoOpTracerProvider

    from agentotel import semconv
    from agentotel.export import encode_spans
    from agentotel.instrumentation.openai import extract
    from agentotel.telemetry import TelemetryHandler

    client = workloads._openai_client()
    completions = client.chat.completions
    kwargs: dict[str, Any] = {
        "model": workloads.MODEL,
        "messages": workloads.MESSAGES,
        "max_tokens": 64,
        "temperature": 0.2,
    }
    response = completions.create(**kwargs)
    resource = Resource.create({"service.name": "agentotel-bench"})

    def cycle(handler: Any) -> Callable[[], None]:
        def run() -> None:
            host, port, provider = extract.server_and_provider(completions)
            inv = handler.inference(
                provider,
                workloads.MODEL,
                semconv.OP_CHAT,
                host,
                port,
                extract.chat_request_attributes(kwargs),
            )
            extract.chat_response(inv, response)
            inv.stop()

        return run

    out: list[tuple[str, float]] = []
    configs: list[tuple[str, Any, Any]] = [
        ("telemetry cycle, no-op tracer and meter", NoOpTracerProvider(), NoOpMeterProvider()),
        ("telemetry cycle, SDK span (no processor), no-op meter", None, NoOpMeterProvider()),
        (
            "telemetry cycle, SDK span, SDK meter with a reader",
            None,
            MeterProvider(resource=resource, metric_readers=[InMemoryMetricReader()]),
        ),
    ]
    try:
        from agentotel import _pipeline

        saved = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
        try:
            fast = _pipeline.default_meter_provider(resource, True)
        finally:
            if saved is None:
                os.environ.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
            else:
                os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = saved
        configs.append(("telemetry cycle, SDK span, agentotel's own meter", None, fast))
    except ImportError:
        pass
    for label, tracer_provider, meter_provider in configs:
        tp = tracer_provider if tracer_provider is not None else TracerProvider(resource=resource)
        handler = TelemetryHandler(tracer_provider=tp, meter_provider=meter_provider)
        out.append((label, _best_us(cycle(handler), n)))
        if hasattr(meter_provider, "shutdown"):
            meter_provider.shutdown()

    memory = InMemorySpanExporter()
    tp = TracerProvider(resource=resource)
    tp.add_span_processor(SimpleSpanProcessor(memory))
    run = cycle(TelemetryHandler(tracer_provider=tp, meter_provider=NoOpMeterProvider()))
    for _ in range(512):
        run()
    spans = list(memory.get_finished_spans())
    out.append(
        ("agentotel OTLP encoding, per span", _best_us(lambda: encode_spans(spans), 20) / 512)
    )
    out.append(
        (
            "SDK OTLP encoding + serialisation, per span",
            _best_us(lambda: sdk_encode(spans).SerializePartialToString(), 20) / 512,
        )
    )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--block-cpu", type=float, default=0.3, help="seconds of CPU per block")
    ap.add_argument("--pipeline", choices=PIPELINES, default="agentotel")
    ap.add_argument("--breakdown", action="store_true", help="run every pipeline, in turn")
    ap.add_argument("--workload", choices=("openai_chat", "openai_stream"), default="openai_chat")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--profile", type=int, metavar="CALLS", help="cProfile CALLS calls instead")
    ap.add_argument("--components", action="store_true", help="tight-loop costs of the parts")
    args = ap.parse_args()
    if args.components:
        for label, us in components():
            print(f"{label:58s} {us:8.1f} µs")
        return
    if args.profile:
        print(profile(args.profile, args.pipeline))
        return
    for pipeline in PIPELINES if args.breakdown else (args.pipeline,):
        result = measure(args.rounds, args.block_cpu, pipeline, args.workload)
        print(json.dumps(asdict(result), indent=1) if args.json else result.line(), flush=True)


if __name__ == "__main__":
    main()
