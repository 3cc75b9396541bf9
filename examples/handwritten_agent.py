"""A hand-written agent loop traced with agentotel's decorators: no agent framework involved.

The loop plans (a generator tool inside a ``step``), calls the model with a retry (each
attempt a ``step``), runs the requested tools in parallel on a thread pool, and answers.
agentotel shows it as one tree: ``invoke_workflow`` > ``invoke_agent`` > steps, ``chat``
spans and ``execute_tool`` spans, each tool linked to the chat span that asked for it.
The model is agentotel's scripted OpenAI-compatible server on 127.0.0.1 (no key, no network).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import openai
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentotel
from agentotel.instrumentation.threading import ThreadingInstrumentor
from agentotel.testing import Reply, ScriptedModelServer, ToolCall, span_tree

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]

SCRIPT = [
    Reply(status=503),  # a transient failure: the agent retries
    Reply(
        tool_calls=[
            ToolCall("get_weather", {"city": "Paris"}),
            ToolCall("get_weather", {"city": "Oslo"}),
        ]
    ),
    Reply(text="Paris is sunny, Oslo is rainy: pack for both."),
]


@agentotel.tool
def get_weather(city: str) -> dict[str, Any]:
    """Current weather for a city."""
    return {"city": city, "forecast": "sunny" if city == "Paris" else "rainy"}


@agentotel.tool(name="search_notes", description="Notes about earlier trips.")
def search_notes(query: str) -> Iterator[str]:
    # A generator tool: its span covers the whole iteration.
    for note in ("Paris: bring sunglasses", "Oslo: bring an umbrella"):
        if any(word.lower() in note.lower() for word in query.split()):
            yield note


def call_model(client: openai.OpenAI, messages: list[dict[str, Any]]) -> Any:
    for attempt in range(3):
        try:
            # A failed attempt leaves its step span with the error recorded.
            with agentotel.step("call_model", attributes={"app.attempt": attempt}):
                return client.chat.completions.create(
                    model="gpt-4o-mini", messages=messages, tools=TOOLS
                )
        except openai.APIStatusError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def run_tool(call: Any) -> dict[str, Any]:
    arguments = json.loads(call.function.arguments or "{}")
    # The call id links the execute_tool span to the chat span that requested it.
    return {
        "role": "tool",
        "tool_call_id": call.id,
        "content": json.dumps(get_weather(**arguments, tool_call_id=call.id)),
    }


@agentotel.agent(name="travel-agent", description="Plans what to pack.")
def run_agent(client: openai.OpenAI, question: str) -> str:
    agentotel.set_conversation_id("conv-42")
    with agentotel.step("plan"):
        notes = list(search_notes(question))
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "Use the tools. Notes: " + "; ".join(notes)},
        {"role": "user", "content": question},
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        for _ in range(5):
            message = call_model(client, messages).choices[0].message
            if not message.tool_calls:
                return message.content or ""
            messages.append(message.model_dump(exclude_none=True))
            # Tools run in worker threads and still nest under this agent.
            messages.extend(pool.map(run_tool, message.tool_calls))
    return "(gave up)"


@agentotel.workflow(name="trip-planner")
def plan_trip(client: openai.OpenAI) -> str:
    return run_agent(client, "What should I pack for Paris and Oslo?")


def print_tree(spans: tuple[ReadableSpan, ...]) -> None:
    for depth, span in span_tree(spans):
        note = " (linked to its chat span)" if span.links else ""
        note += " [error]" if not span.status.is_ok else ""
        print(f"{'  ' * depth}{span.name}{note}")


def main() -> None:
    handle = agentotel.instrument(service_name="handwritten-agent")
    if "threading" not in handle.instrumentors:
        ThreadingInstrumentor().instrument()  # until instrument() turns it on by itself
    memory = InMemorySpanExporter()
    handle.tracer_provider.add_span_processor(SimpleSpanProcessor(memory))
    with ScriptedModelServer(SCRIPT) as server:
        client = openai.OpenAI(api_key="not-needed", base_url=server.openai_base_url, max_retries=0)
        print("Answer:", plan_trip(client))
    print("\nSpans:")
    print_tree(memory.get_finished_spans())
    handle.force_flush()


if __name__ == "__main__":
    main()
