"""Bedrock's streamed responses: the event-stream proxy and the per-format accumulators.

boto3 hands back an ``EventStream`` (iterable, closable) inside the response dict:
``response["stream"]`` for ConverseStream, ``response["body"]`` for
InvokeModelWithResponseStream. The proxy replaces it in that dict and ends the span
exactly once, like every agentotel stream.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from agentotel.instrumentation._read import int_or_none as _int
from agentotel.instrumentation.anthropic.stream import MessageAccumulator
from agentotel.instrumentation.bedrock import extract
from agentotel.telemetry import InferenceInvocation
from agentotel.telemetry.stream import StreamProxy


class EventStreamProxy(StreamProxy):
    """A botocore ``EventStream``: iterable rather than an iterator, so ``__next__`` reads
    from one iterator over it, made on first use."""

    def __init__(self, wrapped: Any, inv: InferenceInvocation, acc: Any) -> None:
        super().__init__(_Events(wrapped), inv, acc)
        self._self_stream = wrapped

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        # isinstance(proxy, EventStream) holds, as for the stream itself.
        return type(self._self_stream)

    def __enter__(self) -> EventStreamProxy:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> Any:
        self.close()
        return None


class _Events:
    """Iterator over an ``EventStream`` that forwards everything else to it."""

    __slots__ = ("_iter", "_stream")

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._iter: Iterator[Any] | None = None

    def __next__(self) -> Any:
        if self._iter is None:
            self._iter = iter(self._stream)
        return next(self._iter)

    def __iter__(self) -> _Events:
        return self

    def close(self) -> None:
        self._stream.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class ConverseAccumulator:
    """ConverseStream events (and Nova's InvokeModel chunks, which have the same shape)."""

    __slots__ = ("blocks", "capture", "stop", "usage")

    def __init__(self, capture: bool) -> None:
        self.capture = capture
        self.stop: Any = None
        self.usage: Any = None
        self.blocks: dict[int, dict[str, Any]] = {}

    def _block(self, event: Mapping[str, Any]) -> dict[str, Any]:
        index = event.get("contentBlockIndex")
        index = index if isinstance(index, int) else 0
        block = self.blocks.get(index)
        if block is None:
            block = self.blocks[index] = {"kind": "text", "text": [], "id": None, "name": None}
        return block

    def feed(self, event: Any) -> None:
        if not isinstance(event, Mapping):
            return
        if "contentBlockDelta" in event:
            if self.capture:
                body = event["contentBlockDelta"] or {}
                delta = body.get("delta") or {}
                block = self._block(body)
                if "text" in delta:
                    block["text"].append(delta["text"])
                elif "toolUse" in delta:
                    block["text"].append((delta["toolUse"] or {}).get("input") or "")
                elif "reasoningContent" in delta:
                    block["kind"] = "reasoning"
                    block["text"].append((delta["reasoningContent"] or {}).get("text") or "")
        elif "contentBlockStart" in event:
            body = event["contentBlockStart"] or {}
            use = (body.get("start") or {}).get("toolUse")
            if isinstance(use, Mapping):
                block = self._block(body)
                block.update(kind="tool", id=use.get("toolUseId"), name=use.get("name"))
        elif "messageStop" in event:
            self.stop = (event["messageStop"] or {}).get("stopReason")
        elif "metadata" in event:
            self.usage = (event["metadata"] or {}).get("usage")

    def finish(self, inv: InferenceInvocation) -> None:
        if isinstance(self.stop, str):
            inv.finish_reasons = [extract.finish_reason(self.stop)]
        extract.usage(inv, self.usage)
        blocks = [self._content(self.blocks[i]) for i in sorted(self.blocks)]
        extract.output_message(blocks, self.stop, inv)

    @staticmethod
    def _content(block: dict[str, Any]) -> dict[str, Any]:
        text = "".join(t for t in block["text"] if isinstance(t, str))
        if block["kind"] == "tool":
            arguments: Any = text
            try:
                arguments = json.loads(text) if text else {}
            except ValueError:
                pass
            use = {"toolUseId": block["id"], "name": block["name"], "input": arguments}
            return {"toolUse": use}
        if block["kind"] == "reasoning":
            return {"reasoningContent": {"reasoningText": {"text": text}}}
        return {"text": text}


class _TextAccumulator:
    """Titan text and Llama chunks: text pieces, a stop reason, token counts."""

    __slots__ = ("capture", "input_tokens", "kind", "output_tokens", "stop", "text")

    def __init__(self, capture: bool, kind: str) -> None:
        self.capture = capture
        self.kind = kind
        self.text: list[str] = []
        self.stop: Any = None
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None

    def feed(self, chunk: Mapping[str, Any]) -> None:
        if self.kind == extract.LLAMA:
            piece, stop = chunk.get("generation"), chunk.get("stop_reason")
            inputs, outputs = chunk.get("prompt_token_count"), chunk.get("generation_token_count")
        else:
            piece, stop = chunk.get("outputText"), chunk.get("completionReason")
            inputs = chunk.get("inputTextTokenCount")
            outputs = chunk.get("totalOutputTextTokenCount")
        if self.capture and isinstance(piece, str):
            self.text.append(piece)
        if stop is not None:
            self.stop = stop
        self.input_tokens = _int(inputs) if inputs is not None else self.input_tokens
        self.output_tokens = _int(outputs) if outputs is not None else self.output_tokens

    def finish(self, inv: InferenceInvocation) -> None:
        inv.input_tokens = self.input_tokens
        inv.output_tokens = self.output_tokens
        extract.text_output(inv, "".join(self.text), self.stop)


class InvokeStreamAccumulator:
    """InvokeModelWithResponseStream: ``{"chunk": {"bytes": ...}}`` events whose bytes are
    the model family's own stream chunks, the last one carrying Bedrock's token counts."""

    __slots__ = ("inner", "metrics")

    def __init__(self, capture: bool, kind: str) -> None:
        self.metrics: Any = None
        self.inner: Any
        if kind == extract.ANTHROPIC:
            self.inner = MessageAccumulator(capture)
        elif kind == extract.NOVA:
            self.inner = ConverseAccumulator(capture)
        elif kind in (extract.TITAN_TEXT, extract.LLAMA):
            self.inner = _TextAccumulator(capture, kind)
        else:
            self.inner = None

    def feed(self, event: Any) -> None:
        raw = (event.get("chunk") or {}).get("bytes") if isinstance(event, Mapping) else None
        if not isinstance(raw, (bytes, bytearray)):
            return
        chunk = json.loads(raw)
        if not isinstance(chunk, dict):
            return
        metrics = chunk.get("amazon-bedrock-invocationMetrics")
        if metrics is not None:
            self.metrics = metrics
        if self.inner is not None:
            self.inner.feed(chunk)

    def finish(self, inv: InferenceInvocation) -> None:
        if self.inner is not None:
            self.inner.finish(inv)
        metrics = self.metrics
        if isinstance(metrics, Mapping):
            if inv.input_tokens is None:
                inv.input_tokens = _int(metrics.get("inputTokenCount"))
            if inv.output_tokens is None:
                inv.output_tokens = _int(metrics.get("outputTokenCount"))
