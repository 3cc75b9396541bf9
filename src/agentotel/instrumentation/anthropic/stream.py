"""Rebuild a streamed Message's telemetry from Anthropic's server-sent events."""

from __future__ import annotations

import json
from typing import Any

from agentotel import semconv
from agentotel.instrumentation._read import field
from agentotel.instrumentation.anthropic import extract
from agentotel.telemetry import InferenceInvocation

_USAGE_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
)


class MessageAccumulator:
    """Sees ``message_start`` … ``message_stop``; keeps block text only when content is captured.

    ``message_delta`` usage is cumulative and may repeat or complete what ``message_start``
    reported, so non-null counts there replace earlier ones.
    """

    __slots__ = ("blocks", "capture", "id", "model", "stop_reason", "usage")

    def __init__(self, capture: bool) -> None:
        self.capture = capture
        self.id: Any = None
        self.model: Any = None
        self.stop_reason: Any = None
        self.usage: dict[str, Any] = {}
        self.blocks: dict[int, dict[str, Any]] = {}

    def feed(self, event: Any) -> None:
        kind = field(event, "type")
        if kind == "content_block_delta":
            if self.capture:
                self._delta(field(event, "index"), field(event, "delta"))
        elif kind == "content_block_start":
            block = field(event, "content_block")
            index = field(event, "index")
            entry: dict[str, Any] = {"type": field(block, "type"), "id": field(block, "id")}
            entry["name"] = field(block, "name")
            entry["text"] = []
            if self.capture:
                entry["block"] = block
            self.blocks[index if isinstance(index, int) else len(self.blocks)] = entry
        elif kind == "message_start":
            message = field(event, "message")
            self.id = field(message, "id")
            self.model = field(message, "model")
            self._usage(field(message, "usage"))
        elif kind == "message_delta":
            reason = field(field(event, "delta"), "stop_reason")
            if isinstance(reason, str):
                self.stop_reason = reason
            self._usage(field(event, "usage"))

    def _usage(self, data: Any) -> None:
        if data is None:
            return
        for name in _USAGE_FIELDS:
            value = field(data, name)
            if isinstance(value, int):
                self.usage[name] = value
        thinking = field(field(data, "output_tokens_details"), "thinking_tokens")
        if isinstance(thinking, int):
            self.usage["thinking_tokens"] = thinking

    def _delta(self, index: Any, delta: Any) -> None:
        entry = self.blocks.get(index) if isinstance(index, int) else None
        if entry is None:
            return
        kind = field(delta, "type")
        piece = None
        if kind == "text_delta":
            piece = field(delta, "text")
        elif kind == "input_json_delta":
            piece = field(delta, "partial_json")
        elif kind == "thinking_delta":
            piece = field(delta, "thinking")
        if isinstance(piece, str) and piece:
            entry["text"].append(piece)

    def finish(self, inv: InferenceInvocation) -> None:
        inv.response_id = self.id if isinstance(self.id, str) else None
        inv.response_model = self.model if isinstance(self.model, str) else None
        if self.stop_reason is not None:
            inv.finish_reasons = [extract.finish_reason(self.stop_reason)]
        ids = [
            b["id"]
            for b in self.blocks.values()
            if b["type"] == "tool_use" and isinstance(b["id"], str)
        ]
        if ids:
            inv.tool_call_ids = ids
        u = self.usage
        if u:
            extract.usage(
                inv,
                u.get("input_tokens"),
                u.get("output_tokens"),
                u.get("cache_read_input_tokens"),
                u.get("cache_creation_input_tokens"),
                u.get("thinking_tokens"),
            )
        if self.capture:
            parts = [self._part(self.blocks[i]) for i in sorted(self.blocks)]
            inv.output_messages = [
                {
                    "role": "assistant",
                    "parts": parts,
                    "finish_reason": extract.finish_reason(self.stop_reason),
                }
            ]

    @staticmethod
    def _part(entry: dict[str, Any]) -> dict[str, Any]:
        text = "".join(entry["text"])
        kind = entry["type"]
        if kind == "text":
            return {"type": semconv.PART_TEXT, "content": text}
        if kind == "thinking":
            return {"type": semconv.PART_REASONING, "content": text}
        if kind in ("tool_use", "server_tool_use", "mcp_tool_use"):
            arguments: Any = field(entry.get("block"), "input")
            if text:
                try:
                    arguments = json.loads(text)
                except ValueError:
                    arguments = text
            return {
                "type": semconv.PART_TOOL_CALL,
                "id": entry["id"],
                "name": entry["name"],
                "arguments": arguments,
            }
        # Complete blocks (e.g. server tool results) arrive whole in content_block_start.
        return extract.content_parts([entry.get("block")])[0]
