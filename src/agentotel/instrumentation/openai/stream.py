"""Accumulators that rebuild a response's telemetry from streamed openai chunks."""

from __future__ import annotations

from typing import Any

from agentotel import semconv
from agentotel.instrumentation._read import field
from agentotel.instrumentation.openai import extract
from agentotel.telemetry import InferenceInvocation


class ChatAccumulator:
    """Chat completion chunks: ids, finish reasons, usage, tool-call deltas, text when captured."""

    __slots__ = (
        "calls",
        "capture",
        "fingerprint",
        "id",
        "model",
        "reasons",
        "text",
        "tier",
        "usage",
    )

    def __init__(self, capture: bool) -> None:
        self.capture = capture
        self.id: str | None = None
        self.model: str | None = None
        self.usage: Any = None
        self.fingerprint: str | None = None
        self.tier: str | None = None
        self.reasons: dict[int, str] = {}
        self.calls: dict[tuple[int, int], dict[str, Any]] = {}
        self.text: dict[int, list[str]] = {}

    def feed(self, chunk: Any) -> None:
        if self.id is None:
            self.id = field(chunk, "id")
            self.model = field(chunk, "model")
            self.fingerprint = field(chunk, "system_fingerprint")
            self.tier = field(chunk, "service_tier")
        usage = field(chunk, "usage")
        if usage is not None:
            self.usage = usage
        for choice in field(chunk, "choices") or ():
            index = field(choice, "index") or 0
            reason = field(choice, "finish_reason")
            if reason:
                self.reasons[index] = reason
            delta = field(choice, "delta")
            if delta is None:
                continue
            for call in field(delta, "tool_calls") or ():
                key = (index, field(call, "index") or 0)
                entry = self.calls.get(key)
                if entry is None:
                    entry = self.calls[key] = {"id": None, "name": None, "arguments": []}
                call_id = field(call, "id")
                if call_id:
                    entry["id"] = call_id
                fn = field(call, "function")
                if fn is not None:
                    name = field(fn, "name")
                    if name:
                        entry["name"] = name
                    if self.capture:
                        args = field(fn, "arguments")
                        if args:
                            entry["arguments"].append(args)
            if self.capture:
                content = field(delta, "content")
                if content:
                    self.text.setdefault(index, []).append(content)

    def finish(self, inv: InferenceInvocation) -> None:
        inv.response_id = self.id if isinstance(self.id, str) else None
        inv.response_model = self.model if isinstance(self.model, str) else None
        extract.response_details(inv, self.fingerprint, self.tier)
        if self.reasons:
            inv.finish_reasons = [self.reasons[i] for i in sorted(self.reasons)]
        ids = [c["id"] for c in self.calls.values() if isinstance(c["id"], str)]
        if ids:
            inv.tool_call_ids = ids
        extract.usage_chat(inv, self.usage)
        if self.capture:
            indexes = sorted(set(self.text) | set(self.reasons) | {k[0] for k in self.calls})
            inv.output_messages = [self._message(i) for i in indexes]

    def _message(self, index: int) -> dict[str, Any]:
        parts: list[dict[str, Any]] = []
        text = "".join(self.text.get(index, ()))
        if text:
            parts.append({"type": semconv.PART_TEXT, "content": text})
        for (choice, _), call in sorted(self.calls.items()):
            if choice == index:
                parts.append(
                    {
                        "type": semconv.PART_TOOL_CALL,
                        "id": call["id"],
                        "name": call["name"],
                        "arguments": extract._parse_args("".join(call["arguments"])),
                    }
                )
        return {
            "role": "assistant",
            "parts": parts,
            "finish_reason": extract.finish_reason(self.reasons.get(index)),
        }


_FINAL_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})


_ITEM_EVENTS = frozenset({"response.output_item.added", "response.output_item.done"})


class ResponsesAccumulator:
    """Responses API events: the final event carries the whole response."""

    __slots__ = ("capture", "compaction", "final", "id", "model")

    def __init__(self, capture: bool) -> None:
        self.capture = capture
        self.final: Any = None
        self.id: str | None = None
        self.model: str | None = None
        # A compaction item streamed before the stream was cut short (no final response).
        self.compaction: list[Any] = []

    def feed(self, event: Any) -> None:
        kind = field(event, "type")
        if kind in _FINAL_EVENTS:
            self.final = field(event, "response")
        elif kind == "response.created":
            response = field(event, "response")
            self.id = field(response, "id")
            self.model = field(response, "model")
        elif kind in _ITEM_EVENTS and not self.compaction:
            item = field(event, "item")
            if field(item, "type") == "compaction":
                self.compaction.append(item)

    def finish(self, inv: InferenceInvocation) -> None:
        extract.compacted(inv, self.compaction)
        if self.final is not None:
            extract.responses_response(inv, self.final)
            if field(self.final, "status") == "failed":
                error = field(self.final, "error")
                inv.set(semconv.ERROR_TYPE, field(error, "code") or "response.failed")
            return
        inv.response_id = self.id if isinstance(self.id, str) else None
        inv.response_model = self.model if isinstance(self.model, str) else None


class FetchAccumulator(ResponsesAccumulator):
    """A stored response replayed as events (``responses.retrieve(stream=True)``)."""

    __slots__ = ()

    def finish(self, inv: InferenceInvocation) -> None:
        if self.final is not None:
            extract.fetched_response(inv, self.final)
            return
        inv.response_id = self.id if isinstance(self.id, str) else inv.response_id
        inv.response_model = self.model if isinstance(self.model, str) else None
