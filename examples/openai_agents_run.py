"""An OpenAI Agents SDK run traced by agentotel: a tool call, a handoff, one trace.

Runs offline: agentotel's scripted model answers the real openai SDK through an
in-process transport, behind the Agents SDK's default (Responses API) model. The
openai instrumentor is on too, as ``agentotel.instrument()`` turns it on, and each
model request still gets exactly one ``chat`` span. ``upload="off"`` keeps the
Agents SDK from trying to upload its own traces to OpenAI while agentotel instruments it.

    python examples/openai_agents_run.py
"""

from __future__ import annotations

import asyncio

import httpx2
import openai
from agents import Agent, OpenAIResponsesModel, Runner, function_tool
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agentotel.instrumentation.openai import OpenAIInstrumentor
from agentotel.instrumentation.openai_agents import OpenAIAgentsInstrumentor
from agentotel.testing import Reply, ScriptedModel, ToolCall, mock_transport, span_tree


def print_tree(spans: tuple[ReadableSpan, ...]) -> None:
    for depth, span in span_tree(spans):
        print("  " * depth + span.name)


@function_tool
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"{city}: sunny, 21°C"


async def main() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    # agentotel.instrument() does this for every installed library; here by hand, on our provider.
    OpenAIInstrumentor().instrument(tracer_provider=provider)
    OpenAIAgentsInstrumentor().instrument(tracer_provider=provider, upload="off")

    scripted = ScriptedModel(
        [
            Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]),
            Reply(tool_calls=[ToolCall("transfer_to_writer", {})]),
            Reply(text="Sunny and 21°C in Paris today."),
        ]
    )
    client = openai.AsyncOpenAI(
        api_key="sk-example",
        http_client=httpx2.AsyncClient(transport=mock_transport(scripted, async_=True)),
    )
    model = OpenAIResponsesModel(model="gpt-4o", openai_client=client)
    writer = Agent(name="writer", instructions="Write one friendly sentence.", model=model)
    weather = Agent(
        name="weather",
        instructions="Look the weather up, then hand off to the writer.",
        tools=[get_weather],
        handoffs=[writer],
        model=model,
    )

    result = await Runner.run(weather, "What's the weather in Paris?")
    print(result.final_output)

    spans = exporter.get_finished_spans()
    print_tree(spans)
    chats = sum(1 for s in spans if s.name.startswith("chat "))
    print(f"spans for {len(scripted.requests)} model requests: {chats} chat spans")


if __name__ == "__main__":
    asyncio.run(main())
