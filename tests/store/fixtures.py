"""Small deterministic stores for the store, query and CLI tests."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from agentotel import semconv
from agentotel.store.model import Event, Span
from agentotel.store.sqlite import SQLiteStore

MS = 1_000_000


def agent_trace(
    n: int,
    start_ns: int,
    run_id: str = "run-a",
    service: str = "svc",
    model: str = "gpt-4o-mini",
    tool_error: bool = False,
    loops: int = 1,
) -> list[Span]:
    """invoke_agent -> (chat, execute_tool get_weather) x loops -> chat; ids derived from ``n``."""
    trace_id = f"{n:04x}" + "ab" * 14
    resource = {semconv.SERVICE_NAME: service, semconv.AGENTOTEL_RUN_ID: run_id,
                semconv.VCS_REF_HEAD_REVISION: "c0ffee" * 6 + "abcd"}  # fmt: skip
    root_id = f"{n:04x}000000000000"
    spans: list[Span] = []
    t = start_ns + 1 * MS
    seq = 1

    def sid() -> str:
        nonlocal seq
        seq += 1
        return f"{n:04x}{seq:012x}"

    def chat(t0: int, tokens_in: int, tokens_out: int) -> Span:
        attrs: dict[str, Any] = {
            semconv.GEN_AI_OPERATION_NAME: semconv.OP_CHAT,
            semconv.GEN_AI_PROVIDER_NAME: "openai",
            semconv.GEN_AI_REQUEST_MODEL: model,
            semconv.GEN_AI_RESPONSE_MODEL: model + "-2024-07-18",
            semconv.GEN_AI_USAGE_INPUT_TOKENS: tokens_in,
            semconv.GEN_AI_USAGE_OUTPUT_TOKENS: tokens_out,
            semconv.GEN_AI_INPUT_MESSAGES: json.dumps(
                [{"role": "user", "parts": [{"type": "text", "content": "weather in Paris?"}]}]
            ),
        }
        return Span(trace_id, sid(), root_id, f"chat {model}", "client", t0, t0 + 100 * MS,
                    attributes=attrs, resource=resource, scope_name="agentotel").fill_facts()  # fmt: skip

    for _ in range(loops):
        spans.append(chat(t, 100, 10))
        t += 101 * MS
        attrs = {
            semconv.GEN_AI_OPERATION_NAME: semconv.OP_EXECUTE_TOOL,
            semconv.GEN_AI_TOOL_NAME: "get_weather",
            semconv.GEN_AI_TOOL_CALL_ID: f"call_{n}_{seq}",
            semconv.GEN_AI_TOOL_CALL_ARGUMENTS: '{"city": "Paris"}',
        }
        status = "unset"
        events: list[Event] = []
        if tool_error:
            attrs[semconv.ERROR_TYPE] = "ValueError"
            status = "error"
            events = [Event(semconv.EVENT_EXCEPTION, t + 5 * MS,
                            {semconv.EXCEPTION_TYPE: "ValueError",
                             semconv.EXCEPTION_MESSAGE: "no such city"})]  # fmt: skip
        spans.append(
            Span(
                trace_id,
                sid(),
                root_id,
                "execute_tool get_weather",
                "internal",
                t,
                t + 20 * MS,
                status=status,
                status_message="no such city" if tool_error else None,
                attributes=attrs,
                events=events,
                resource=resource,
                scope_name="agentotel",
            ).fill_facts()
        )
        t += 21 * MS
    spans.append(chat(t, 200, 30))
    t += 101 * MS
    root = Span(trace_id, root_id, None, "invoke_agent weather", "internal", start_ns, t,
                attributes={semconv.GEN_AI_OPERATION_NAME: semconv.OP_INVOKE_AGENT,
                            semconv.GEN_AI_AGENT_NAME: "weather"},
                resource=resource, scope_name="agentotel").fill_facts()  # fmt: skip
    return [root, *spans]


def build_store(path: Path, now_ns: int | None = None) -> dict[str, Any]:
    """Five traces over two runs: the newest (n=5) has a failing tool and a loop of 3 calls."""
    now_ns = time.time_ns() if now_ns is None else now_ns
    store = SQLiteStore(path, readonly=False, max_age_s=None, max_bytes=None)
    ids = []
    for n in range(1, 6):
        start = now_ns - (6 - n) * 600 * 10**9  # 50, 40, 30, 20, 10 minutes ago
        spans = agent_trace(
            n,
            start,
            run_id="run-a" if n <= 3 else "run-b",
            service="svc" if n != 2 else "other",
            model="gpt-4o-mini" if n % 2 else "gpt-4.1",
            tool_error=n == 5,
            loops=3 if n == 5 else 1,
        )
        store.write(spans)
        ids.append(spans[0].trace_id)
    store.close()
    return {"ids": ids, "now_ns": now_ns}
