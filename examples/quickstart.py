"""A small tool-using agent on the real openai SDK, traced by agentotel.

By default the model is agentotel's scripted OpenAI-compatible server on
127.0.0.1 (no API key, no network). With ``--real`` and ``OPENAI_API_KEY`` set,
the same loop talks to the real API. The script prints the span tree it
recorded, then asks the local trace store what happened, as a coding agent
would with the ``agentotel`` CLI.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import Any

import openai
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentotel
from agentotel.testing import Reply, ScriptedModelServer, ToolCall, span_tree

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]

# What the scripted model answers, turn by turn: ask for the tool, then answer.
SCRIPT = [
    Reply(
        tool_calls=[ToolCall("get_weather", {"city": "Paris"})], input_tokens=82, output_tokens=17
    ),
    Reply(text="It is 21°C and sunny in Paris.", input_tokens=121, output_tokens=12, chunks=4),
]


@agentotel.tool(name="get_weather", description="Current weather for a city.")
def get_weather(city: str) -> dict[str, Any]:
    return {"city": city, "forecast": "sunny", "temperature_c": 21}


@agentotel.agent(name="weather_agent")
def run_agent(client: openai.OpenAI, model: str, question: str) -> str:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "Answer with the help of the tools."},
        {"role": "user", "content": question},
    ]
    for _ in range(5):
        response = client.chat.completions.create(model=model, messages=messages, tools=TOOLS)
        message = response.choices[0].message
        if not message.tool_calls:
            return message.content or ""
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            arguments = json.loads(call.function.arguments or "{}")
            with agentotel.tool_call(call.id):
                result = get_weather(**arguments)
            messages.append(
                {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)}
            )
    return "(gave up after 5 turns)"


def print_tree(spans: tuple[ReadableSpan, ...]) -> None:
    for depth, span in span_tree(spans):
        attrs = span.attributes or {}
        ms = ((span.end_time or 0) - (span.start_time or 0)) / 1e6
        tokens = ""
        if "gen_ai.usage.input_tokens" in attrs:
            tokens = f"  tokens in={attrs['gen_ai.usage.input_tokens']} out={attrs.get('gen_ai.usage.output_tokens')}"
        print(f"{'  ' * depth}{span.name:<{40 - 2 * depth}} {ms:8.1f} ms{tokens}")


def show_store(trace_id: str) -> None:
    """What a coding agent would run next: the CLI over the local store."""
    cli = [sys.executable, "-m", "agentotel.cli"]
    for args in (["traces", "--limit", "3"], ["show", trace_id]):
        print(f"\n$ agentotel {' '.join(args)}")
        sys.stdout.flush()
        subprocess.run([*cli, *args], check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--real", action="store_true", help="use the real OpenAI API")
    parser.add_argument("--model", default="gpt-4o-mini")
    parser.add_argument("--question", default="What is the weather in Paris?")
    args = parser.parse_args()

    handle = agentotel.instrument(service_name="quickstart")
    memory = InMemorySpanExporter()
    handle.tracer_provider.add_span_processor(SimpleSpanProcessor(memory))

    if args.real:
        if not os.environ.get("OPENAI_API_KEY"):
            parser.error("--real needs OPENAI_API_KEY")
        answer = run_agent(openai.OpenAI(), args.model, args.question)
    else:
        with ScriptedModelServer(SCRIPT) as server:
            client = openai.OpenAI(api_key="not-needed", base_url=server.openai_base_url)
            answer = run_agent(client, args.model, args.question)

    print(f"Agent answer: {answer}\n")
    print("Spans recorded by agentotel:")
    spans = memory.get_finished_spans()
    print_tree(spans)
    handle.force_flush()
    if spans and not args.real:
        show_store(format(spans[-1].context.trace_id, "032x"))


if __name__ == "__main__":
    main()
