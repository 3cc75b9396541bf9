"""A small tool-using agent on the real anthropic SDK, traced by agentotel.

By default the model is agentotel's scripted Anthropic-compatible server on 127.0.0.1
(no API key, no network). With ``--real`` and ``ANTHROPIC_API_KEY`` set, the same loop
talks to the real API. Each turn uses the SDK's ``messages.stream()`` helper. The script
prints the span tree and checks that every model call produced exactly one span, whatever
``--native-spans`` says about the SDK's own spans.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

import anthropic
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentotel
from agentotel.instrumentation.anthropic import AnthropicInstrumentor
from agentotel.testing import Reply, ScriptedModelServer, ToolCall, span_tree

TOOLS = [
    {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "input_schema": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    }
]

# What the scripted model answers, turn by turn: think, ask for the tool, then answer.
SCRIPT = [
    Reply(
        reasoning="The user wants the weather; call the tool.",
        tool_calls=[ToolCall("get_weather", {"city": "Paris"})],
        input_tokens=412,
        cached_input_tokens=1024,
        output_tokens=58,
    ),
    Reply(
        text="It is 21°C and sunny in Paris.",
        input_tokens=96,
        cached_input_tokens=1436,
        output_tokens=14,
        chunks=4,
    ),
]


@agentotel.tool(name="get_weather", description="Current weather for a city.")
def get_weather(city: str) -> dict[str, Any]:
    return {"city": city, "forecast": "sunny", "temperature_c": 21}


@agentotel.agent(name="weather_agent")
def run_agent(client: anthropic.Anthropic, model: str, question: str) -> str:
    messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
    for _ in range(5):
        with client.messages.stream(
            model=model,
            max_tokens=1024,
            system="Answer with the help of the tools.",
            messages=messages,  # type: ignore[arg-type]
            tools=TOOLS,  # type: ignore[arg-type]
        ) as stream:
            message = stream.get_final_message()
        if message.stop_reason != "tool_use":
            return "".join(block.text for block in message.content if block.type == "text")
        messages.append({"role": "assistant", "content": message.content})
        results = []
        for block in message.content:
            if block.type == "tool_use":
                with agentotel.tool_call(block.id):
                    result = get_weather(**block.input)  # type: ignore[arg-type]
                results.append(
                    {"type": "tool_result", "tool_use_id": block.id, "content": json.dumps(result)}
                )
        messages.append({"role": "user", "content": results})
    return "(gave up after 5 turns)"


def print_tree(spans: tuple[ReadableSpan, ...]) -> None:
    for depth, span in span_tree(spans):
        attrs = span.attributes or {}
        ms = ((span.end_time or 0) - (span.start_time or 0)) / 1e6
        scope = span.instrumentation_scope.name if span.instrumentation_scope else "?"
        tokens = ""
        if "gen_ai.usage.input_tokens" in attrs:
            tokens = (
                f"  tokens in={attrs['gen_ai.usage.input_tokens']}"
                f" (cache read {attrs.get('gen_ai.usage.cache_read.input_tokens')})"
                f" out={attrs.get('gen_ai.usage.output_tokens')}"
            )
        print(f"{'  ' * depth}{span.name:<{40 - 2 * depth}} {ms:8.1f} ms  [{scope}]{tokens}")


def check_one_span_per_call(spans: tuple[ReadableSpan, ...], calls: int) -> None:
    model_spans = [s for s in spans if (s.attributes or {}).get("gen_ai.operation.name") == "chat"]
    native_only = [s for s in spans if s.name.startswith("anthropic.messages.create")]
    if len(model_spans) != calls or native_only:
        raise SystemExit(
            f"expected {calls} chat spans and no duplicates, got {[s.name for s in spans]}"
        )
    print("one span per call: ok")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--real", action="store_true", help="use the real Anthropic API")
    parser.add_argument("--model", default="claude-sonnet-4-6")
    parser.add_argument("--question", default="What is the weather in Paris?")
    parser.add_argument("--native-spans", choices=("off", "keep"), default="off")
    args = parser.parse_args()

    handle = agentotel.instrument(service_name="anthropic_agent")
    memory = InMemorySpanExporter()
    handle.tracer_provider.add_span_processor(SimpleSpanProcessor(memory))
    # Explicit, so the example also shows the instrumentor's own option.
    instrumentor = AnthropicInstrumentor()
    if "anthropic" in handle.names:
        instrumentor.uninstrument()
    instrumentor.instrument(
        tracer_provider=handle.tracer_provider,
        meter_provider=handle.meter_provider,
        settings=handle.settings,
        native_spans=args.native_spans,
    )

    if args.real:
        if not os.environ.get("ANTHROPIC_API_KEY"):
            parser.error("--real needs ANTHROPIC_API_KEY")
        answer = run_agent(anthropic.Anthropic(), args.model, args.question)
        calls = None
    else:
        with ScriptedModelServer(SCRIPT) as server:
            client = anthropic.Anthropic(api_key="not-needed", base_url=server.anthropic_base_url)
            answer = run_agent(client, args.model, args.question)
            calls = len([r for r in server.requests if r.api == "anthropic.messages"])

    print(f"Agent answer: {answer}\n")
    print(f"Spans recorded (native_spans={args.native_spans}):")
    spans = memory.get_finished_spans()
    print_tree(spans)
    if calls is not None:
        check_one_span_per_call(spans, calls)
    handle.force_flush()
    instrumentor.uninstrument()
    handle.uninstrument()


if __name__ == "__main__":
    main()
