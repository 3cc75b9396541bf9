"""A tool-using agent on boto3's Bedrock Converse API, traced by agentotel.

By default the model is agentotel's scripted Bedrock runtime on 127.0.0.1 (no AWS
account, no network, dummy credentials); each turn streams with ``converse_stream``.
With ``--real`` the same loop calls Bedrock with your AWS credentials and region.
The script prints the span tree and checks that every model call made exactly one span.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import boto3
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentotel
from agentotel.testing import Reply, ScriptedBedrockServer, ToolCall, span_tree

TOOL_CONFIG = {
    "tools": [
        {
            "toolSpec": {
                "name": "get_weather",
                "description": "Current weather for a city.",
                "inputSchema": {
                    "json": {
                        "type": "object",
                        "properties": {"city": {"type": "string"}},
                        "required": ["city"],
                    }
                },
            }
        }
    ]
}

SCRIPT = [
    Reply(
        tool_calls=[ToolCall("get_weather", {"city": "Paris"})], input_tokens=380, output_tokens=41
    ),
    Reply(text="It is 21°C and sunny in Paris.", input_tokens=452, output_tokens=14, chunks=4),
]


@agentotel.tool(name="get_weather", description="Current weather for a city.")
def get_weather(city: str) -> dict[str, Any]:
    return {"city": city, "forecast": "sunny", "temperature_c": 21}


def converse(client: Any, model: str, messages: list[dict[str, Any]]) -> tuple[Any, list[Any]]:
    """One streamed turn: (stop reason, content blocks) rebuilt from the events."""
    response = client.converse_stream(
        modelId=model,
        messages=messages,
        system=[{"text": "Answer with the help of the tools."}],
        inferenceConfig={"maxTokens": 512, "temperature": 0.2},
        toolConfig=TOOL_CONFIG,
    )
    blocks: dict[int, dict[str, Any]] = {}
    stop = None
    for event in response["stream"]:
        if "contentBlockStart" in event:
            use = event["contentBlockStart"]["start"]["toolUse"]
            blocks[event["contentBlockStart"]["contentBlockIndex"]] = {
                "toolUse": {**use, "input": ""}
            }
        elif "contentBlockDelta" in event:
            index, delta = (
                event["contentBlockDelta"]["contentBlockIndex"],
                event["contentBlockDelta"]["delta"],
            )
            if "text" in delta:
                blocks.setdefault(index, {"text": ""})["text"] += delta["text"]
            elif "toolUse" in delta:
                blocks[index]["toolUse"]["input"] += delta["toolUse"]["input"]
        elif "messageStop" in event:
            stop = event["messageStop"]["stopReason"]
    content = [blocks[i] for i in sorted(blocks)]
    for block in content:
        if "toolUse" in block:
            block["toolUse"]["input"] = json.loads(block["toolUse"]["input"] or "{}")
    return stop, content


@agentotel.agent(name="weather_agent")
def run_agent(client: Any, model: str, question: str) -> str:
    messages: list[dict[str, Any]] = [{"role": "user", "content": [{"text": question}]}]
    for _ in range(5):
        stop, content = converse(client, model, messages)
        if stop != "tool_use":
            return "".join(block.get("text", "") for block in content)
        messages.append({"role": "assistant", "content": content})
        results = []
        for block in content:
            if "toolUse" in block:
                use = block["toolUse"]
                with agentotel.tool_call(use["toolUseId"]):
                    result = get_weather(**use["input"])
                results.append(
                    {"toolResult": {"toolUseId": use["toolUseId"], "content": [{"json": result}]}}
                )
        messages.append({"role": "user", "content": results})
    return "(gave up after 5 turns)"


def print_tree(spans: tuple[ReadableSpan, ...]) -> None:
    for depth, span in span_tree(spans):
        attrs = span.attributes or {}
        tokens = ""
        if "gen_ai.usage.input_tokens" in attrs:
            tokens = f"  tokens in={attrs['gen_ai.usage.input_tokens']} out={attrs.get('gen_ai.usage.output_tokens')}"
        print(f"{'  ' * depth}{span.name}{tokens}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--real", action="store_true", help="call Amazon Bedrock for real")
    parser.add_argument("--model", default="anthropic.claude-3-5-haiku-20241022-v1:0")
    parser.add_argument("--question", default="What is the weather in Paris?")
    args = parser.parse_args()

    handle = agentotel.instrument(service_name="bedrock_converse")
    memory = InMemorySpanExporter()
    handle.tracer_provider.add_span_processor(SimpleSpanProcessor(memory))
    calls = None
    if args.real:
        answer = run_agent(boto3.client("bedrock-runtime"), args.model, args.question)
    else:
        with ScriptedBedrockServer(SCRIPT) as server:
            client = boto3.client(
                "bedrock-runtime",
                endpoint_url=server.endpoint_url,
                region_name="us-east-1",
                aws_access_key_id="not-needed",
                aws_secret_access_key="not-needed",
            )
            answer = run_agent(client, args.model, args.question)
            calls = len(server.requests)

    print(f"Agent answer: {answer}\n")
    spans = memory.get_finished_spans()
    print_tree(spans)
    if calls is not None:
        chats = [s for s in spans if (s.attributes or {}).get("gen_ai.operation.name") == "chat"]
        if len(chats) != calls:
            raise SystemExit(f"expected {calls} chat spans, got {[s.name for s in spans]}")
        print("one span per call: ok")
    handle.force_flush()
    handle.uninstrument()


if __name__ == "__main__":
    main()
