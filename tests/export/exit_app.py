"""A tiny instrumented program for the exit-time tests: ends spans, records a metric, exits.

Run as ``python -m tests.export.exit_app N``; it prints ``END`` on stdout just
before returning, so the parent can time the interpreter's exit alone.
"""

from __future__ import annotations

import sys

from opentelemetry import metrics, trace

import agentotel


def main(count: int) -> None:
    agentotel.instrument(libraries=[])
    tracer = trace.get_tracer("exit-app")
    for i in range(count):
        with tracer.start_as_current_span(f"span {i}"):
            pass
    metrics.get_meter("exit-app").create_counter("exit_app.calls").add(1)
    print("END", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
