"""Which traces of two runs answered the same input, so a comparison can pair them.

A trace's input fingerprint is the root span's ``agentotel.case.id`` when the
application (or the pytest plugin) set one, else a hash of the first user message of
its first model call, which needs content capture. Traces without either are never
paired.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from agentotel import semconv
from agentotel.evals.model import TraceData


def fingerprint(trace: TraceData) -> str | None:
    """``case:<id>`` or ``input:<hash>`` for the trace's input; None when nothing says."""
    case = trace.root.attributes.get(semconv.AGENTOTEL_CASE_ID)
    if case is not None:
        return f"case:{case}"
    for span in trace.llm_calls:
        raw = span.attributes.get(semconv.GEN_AI_INPUT_MESSAGES)
        if not isinstance(raw, str):
            continue
        try:
            messages = json.loads(raw)
        except ValueError:
            continue
        for message in messages if isinstance(messages, list) else ():
            if isinstance(message, dict) and message.get("role") == "user":
                text = json.dumps(message.get("parts"), sort_keys=True)
                return "input:" + hashlib.sha256(text.encode()).hexdigest()[:16]
        return None
    return None


def pairs(
    before: Sequence[TraceData], after: Sequence[TraceData]
) -> list[tuple[TraceData, TraceData]]:
    """(before, after) traces with the same fingerprint; each trace in one pair at most.

    Repeated inputs pair in order (the first run of an input before with the first after).
    """
    waiting: dict[str, list[TraceData]] = {}
    for t in sorted(before, key=lambda t: t.start_ns):
        key = fingerprint(t)
        if key is not None:
            waiting.setdefault(key, []).append(t)
    out = []
    for t in sorted(after, key=lambda t: t.start_ns):
        key = fingerprint(t)
        queue = waiting.get(key) if key is not None else None
        if queue:
            out.append((queue.pop(0), t))
    return out
