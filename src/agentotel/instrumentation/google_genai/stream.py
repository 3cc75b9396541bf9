"""Rebuild a streamed ``generateContent`` response's telemetry from its chunks.

Every chunk is a ``GenerateContentResponse`` holding the next piece of each candidate;
``usage_metadata`` counts are running totals, so the last one seen is the request's usage.
"""

from __future__ import annotations

from typing import Any

from agentotel import semconv
from agentotel.instrumentation._read import field
from agentotel.instrumentation.google_genai import extract
from agentotel.telemetry import InferenceInvocation


class _Candidate:
    __slots__ = ("call", "ids", "parts", "reason")

    def __init__(self) -> None:
        self.reason: Any = None
        self.call = False
        self.ids: list[str] = []
        self.parts: list[Any] = []


class ContentAccumulator:
    """Ids, usage, finish reasons and function calls per candidate; parts only when captured."""

    __slots__ = ("blocked", "candidates", "capture", "id", "model", "usage")

    def __init__(self, capture: bool) -> None:
        self.capture = capture
        self.id: Any = None
        self.model: Any = None
        self.usage: Any = None
        self.blocked = False
        self.candidates: dict[int, _Candidate] = {}

    def feed(self, chunk: Any) -> None:
        if self.id is None:
            self.id = field(chunk, "response_id")
        model = field(chunk, "model_version")
        if model is not None:
            self.model = model
        usage = field(chunk, "usage_metadata")
        if usage is not None:
            self.usage = usage
        candidates = field(chunk, "candidates")
        if not candidates:
            if field(field(chunk, "prompt_feedback"), "block_reason") is not None:
                self.blocked = True
            return
        for position, candidate in enumerate(candidates):
            index = field(candidate, "index")
            key = index if isinstance(index, int) else position
            entry = self.candidates.get(key)
            if entry is None:
                entry = self.candidates[key] = _Candidate()
            reason = field(candidate, "finish_reason")
            if reason is not None:
                entry.reason = reason
            parts = field(field(candidate, "content"), "parts")
            for p in parts if isinstance(parts, (list, tuple)) else ():
                call = field(p, "function_call")
                if call is not None:
                    entry.call = True
                    call_id = field(call, "id")
                    if isinstance(call_id, str) and call_id:
                        entry.ids.append(call_id)
                if self.capture:
                    entry.parts.append(p)

    def finish(self, inv: InferenceInvocation) -> None:
        inv.response_id = self.id if isinstance(self.id, str) and self.id else None
        inv.response_model = self.model if isinstance(self.model, str) and self.model else None
        extract.usage(inv, self.usage)
        ordered = [self.candidates[i] for i in sorted(self.candidates)]
        reasons = [extract.finish_reason(c.reason, c.call) for c in ordered]
        if not ordered and self.blocked:
            reasons = [semconv.FINISH_CONTENT_FILTER]
        if any(reasons):
            inv.finish_reasons = [r or "" for r in reasons]
        ids = [call_id for c in ordered for call_id in c.ids]
        if ids:
            inv.tool_call_ids = ids
        if self.capture:
            inv.output_messages = [
                {
                    "role": "assistant",
                    "parts": _merge([extract.part(p) for p in c.parts]),
                    "finish_reason": reason or semconv.FINISH_STOP,
                }
                for c, reason in zip(ordered, reasons)
            ]


def _merge(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Join consecutive text (or reasoning) pieces into one part, as the whole answer reads."""
    out: list[dict[str, Any]] = []
    for p in parts:
        kind = p["type"]
        if (
            out
            and kind in (semconv.PART_TEXT, semconv.PART_REASONING)
            and out[-1]["type"] == kind
            and isinstance(out[-1].get("content"), str)
            and isinstance(p.get("content"), str)
        ):
            out[-1] = {**out[-1], "content": out[-1]["content"] + p["content"]}
        else:
            out.append(p)
    return out
