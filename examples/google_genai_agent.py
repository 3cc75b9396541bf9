"""A Gemini chat with automatic function calling on the real google-genai SDK, traced by agentotel.

By default the model is agentotel's scripted Gemini server on 127.0.0.1 (no API key, no
network); ``--vertex`` sends the same requests in Vertex AI's shape. With ``--real`` and
``GEMINI_API_KEY`` (or ``GOOGLE_API_KEY``) set, the same chat talks to the Gemini API.
The SDK calls ``get_weather`` by itself between two model requests; the script prints the
span tree and checks one ``generate_content`` span per request, one ``execute_tool`` span
for the function, and the tokens of each request counted once.
"""

from __future__ import annotations

import argparse
import os

from google import genai
from google.genai import types
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentotel
from agentotel.testing import Reply, ScriptedModelServer, ToolCall, span_tree

# What the scripted model answers, request by request: ask for the function, then answer.
SCRIPT = [
    Reply(
        tool_calls=[ToolCall("get_weather", {"city": "Paris"})],
        input_tokens=1400,
        cached_input_tokens=1024,
        output_tokens=12,
        reasoning_tokens=40,
    ),
    Reply(text="It is 21°C and sunny in Paris.", input_tokens=1460, output_tokens=14, chunks=4),
]


def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"21°C and sunny in {city}"


@agentotel.agent(name="weather_agent")
def run_agent(client: genai.Client, model: str, question: str) -> str:
    chat = client.chats.create(
        model=model,
        config=types.GenerateContentConfig(
            system_instruction="Answer with the help of the tools.", tools=[get_weather]
        ),
    )
    return "".join(text_of(chunk) for chunk in chat.send_message_stream(question))


def text_of(chunk: types.GenerateContentResponse) -> str:
    """The text of a streamed chunk (``chunk.text`` warns on chunks holding a function call)."""
    content = chunk.candidates[0].content if chunk.candidates else None
    return "".join(part.text or "" for part in (content.parts or [])) if content else ""


def print_tree(spans: tuple[ReadableSpan, ...]) -> None:
    for depth, span in span_tree(spans):
        attrs = span.attributes or {}
        ms = ((span.end_time or 0) - (span.start_time or 0)) / 1e6
        tokens = ""
        if "gen_ai.usage.input_tokens" in attrs:
            tokens = (
                f"  tokens in={attrs['gen_ai.usage.input_tokens']}"
                f" (cache read {attrs.get('gen_ai.usage.cache_read.input_tokens', 0)})"
                f" out={attrs.get('gen_ai.usage.output_tokens')}"
                f" (reasoning {attrs.get('gen_ai.usage.reasoning.output_tokens', 0)})"
            )
        provider = attrs.get("gen_ai.provider.name")
        where = f"  [{provider}]" if provider else ""
        print(f"{'  ' * depth}{span.name:<{40 - 2 * depth}} {ms:8.1f} ms{where}{tokens}")


def check(spans: tuple[ReadableSpan, ...], requests: int) -> None:
    calls = [
        s for s in spans if (s.attributes or {}).get("gen_ai.operation.name") == "generate_content"
    ]
    tools = [s for s in spans if s.name == "execute_tool get_weather"]
    if len(calls) != requests or len(tools) != 1:
        raise SystemExit(
            f"expected {requests} requests and 1 tool span, got {[s.name for s in spans]}"
        )
    total = sum(int((s.attributes or {}).get("gen_ai.usage.input_tokens", 0)) for s in calls)
    print(f"one span per request: ok ({requests} requests, {total} input tokens in all)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--real", action="store_true", help="use the real Gemini API")
    parser.add_argument("--vertex", action="store_true", help="Vertex AI's endpoint shape")
    parser.add_argument("--model", default="gemini-2.5-flash")
    parser.add_argument("--question", default="What is the weather in Paris?")
    args = parser.parse_args()

    handle = agentotel.instrument(service_name="google_genai_agent")
    memory = InMemorySpanExporter()
    handle.tracer_provider.add_span_processor(SimpleSpanProcessor(memory))

    if args.real:
        if not (os.environ.get("GEMINI_API_KEY") or os.environ.get("GOOGLE_API_KEY")):
            parser.error("--real needs GEMINI_API_KEY or GOOGLE_API_KEY")
        answer = run_agent(genai.Client(), args.model, args.question)
        requests = None
    else:
        with ScriptedModelServer(SCRIPT) as server:
            options = types.HttpOptions(base_url=server.url)
            client = genai.Client(vertexai=args.vertex, api_key="not-needed", http_options=options)
            answer = run_agent(client, args.model, args.question)
            requests = len(server.requests)

    print(f"Agent answer: {answer}\n")
    print("Spans recorded:")
    spans = memory.get_finished_spans()
    print_tree(spans)
    if requests is not None:
        check(spans, requests)
    handle.force_flush()
    handle.uninstrument()


if __name__ == "__main__":
    main()
