"""Synthetic traces for evaluator tests: store records built by hand, deterministic ids."""

from __future__ import annotations

import hashlib
import itertools
import json
from typing import Any

from agentotel import semconv
from agentotel.store.model import Span

_ids = itertools.count(1)


def _hex(size: int) -> str:
    return hashlib.sha256(str(next(_ids)).encode()).hexdigest()[:size]


class TraceBuilder:
    """Builds one trace: ``agent()`` then ``chat()``/``tool()`` children, in time order."""

    def __init__(self, run_id: str = "run-a", start_ns: int = 1_700_000_000 * 10**9) -> None:
        self.trace_id = _hex(32)
        self.run_id = run_id
        self.clock = start_ns
        self.spans: list[Span] = []
        self.root = self._span("invoke_agent support", None, semconv.OP_INVOKE_AGENT, 1_000_000)
        self.root.attributes[semconv.GEN_AI_AGENT_NAME] = "support"
        self.root.fill_facts()

    def _span(
        self,
        name: str,
        parent: Span | None,
        operation: str | None,
        duration_ns: int,
        attributes: dict[str, Any] | None = None,
        status: str = "unset",
    ) -> Span:
        attrs = dict(attributes or {})
        if operation:
            attrs[semconv.GEN_AI_OPERATION_NAME] = operation
        self.clock += 1000
        span = Span(
            trace_id=self.trace_id,
            span_id=_hex(16),
            parent_id=parent.span_id if parent else None,
            name=name,
            start_ns=self.clock,
            end_ns=self.clock + duration_ns,
            status=status,
            attributes=attrs,
            resource={semconv.SERVICE_NAME: "svc", semconv.AGENTOTEL_RUN_ID: self.run_id},
        ).fill_facts()
        self.spans.append(span)
        if parent is not None:
            parent.end_ns = max(parent.end_ns, span.end_ns)
        return span

    def chat(
        self,
        model: str = "gpt-4o-mini",
        input_tokens: int = 100,
        output_tokens: int = 20,
        finish: str = "stop",
        error: str | None = None,
        duration_ms: float = 50.0,
        parent: Span | None = None,
    ) -> Span:
        attrs: dict[str, Any] = {
            semconv.GEN_AI_REQUEST_MODEL: model,
            semconv.GEN_AI_USAGE_INPUT_TOKENS: input_tokens,
            semconv.GEN_AI_USAGE_OUTPUT_TOKENS: output_tokens,
            semconv.GEN_AI_RESPONSE_FINISH_REASONS: [finish],
        }
        if error:
            attrs[semconv.ERROR_TYPE] = error
        return self._span(
            f"chat {model}",
            parent or self.root,
            semconv.OP_CHAT,
            int(duration_ms * 1e6),
            attrs,
            "error" if error else "unset",
        )

    def tool(
        self,
        name: str,
        arguments: Any = None,
        error: str | None = None,
        duration_ms: float = 5.0,
        parent: Span | None = None,
    ) -> Span:
        attrs: dict[str, Any] = {semconv.GEN_AI_TOOL_NAME: name}
        if arguments is not None:
            attrs[semconv.GEN_AI_TOOL_CALL_ARGUMENTS] = (
                arguments if isinstance(arguments, str) else json.dumps(arguments)
            )
        if error:
            attrs[semconv.ERROR_TYPE] = error
        return self._span(
            f"execute_tool {name}",
            parent or self.root,
            semconv.OP_EXECUTE_TOOL,
            int(duration_ms * 1e6),
            attrs,
            "error" if error else "unset",
        )


def looping_trace(times: int = 4, with_args: bool = True, run_id: str = "run-a") -> TraceBuilder:
    b = TraceBuilder(run_id)
    for _ in range(times):
        b.chat()
        b.tool("lookup_order", {"order_id": "1042"} if with_args else None)
    b.chat()
    return b


def clean_trace(run_id: str = "run-b") -> TraceBuilder:
    b = TraceBuilder(run_id)
    b.chat()
    b.tool("lookup_order", {"order_id": "1042"})
    b.chat()
    return b
