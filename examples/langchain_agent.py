"""A LangChain agent (``create_agent``, LangGraph underneath) traced by agentotel.

The agent uses ``ChatOpenAI`` over the real ``openai`` SDK. By default the model is
agentotel's scripted OpenAI-compatible model served in process (no API key, no
network); with ``--real`` and ``OPENAI_API_KEY`` set, the same agent calls the real
API. The script prints the span tree it recorded: one ``invoke_agent`` root, a
``chat`` span per model turn (made by the openai instrumentor, nested under the
agent: no duplicate from the LangChain layer) and an ``execute_tool`` span per tool.

``agentotel.instrument()`` sets up the providers from the user's configuration (with
``OTEL_EXPORTER_OTLP_ENDPOINT`` set the spans go there; under ``agentotel run`` the run's
handle is reused); an in-memory exporter is only added beside it, to print the tree.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import httpx2
from langchain.agents import create_agent
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentotel
from agentotel.testing import Reply, ScriptedModel, ToolCall, mock_transport

# What the scripted model answers, turn by turn: two tools, then the answer.
SCRIPT = [
    Reply(
        tool_calls=[ToolCall("get_weather", {"city": "Paris"})], input_tokens=82, output_tokens=17
    ),
    Reply(
        tool_calls=[ToolCall("to_fahrenheit", {"celsius": 21})], input_tokens=120, output_tokens=15
    ),
    Reply(text="It is 21°C (69.8°F) and sunny in Paris.", input_tokens=151, output_tokens=14),
]


@tool
def get_weather(city: str) -> dict[str, Any]:
    """Current weather for a city."""
    return {"city": city, "forecast": "sunny", "temperature_c": 21}


@tool
def to_fahrenheit(celsius: float) -> float:
    """Convert a temperature from Celsius to Fahrenheit."""
    return celsius * 9 / 5 + 32


def make_model(real: bool) -> ChatOpenAI:
    if real:
        return ChatOpenAI(model=os.environ.get("OPENAI_MODEL", "gpt-4o-mini"))
    scripted = ScriptedModel(SCRIPT)
    return ChatOpenAI(
        model="gpt-4o-mini",
        api_key="sk-scripted",  # type: ignore[arg-type]
        http_client=httpx2.Client(transport=mock_transport(scripted)),
    )


def render(spans: tuple[ReadableSpan, ...]) -> list[str]:
    """The spans as an indented tree, children in start order."""
    ids = {s.context.span_id for s in spans if s.context is not None}
    children: dict[int | None, list[ReadableSpan]] = {}
    for s in spans:
        parent = s.parent.span_id if s.parent is not None and s.parent.span_id in ids else None
        children.setdefault(parent, []).append(s)
    lines: list[str] = []

    def walk(parent: int | None, depth: int) -> None:
        for s in sorted(children.get(parent, []), key=lambda x: x.start_time or 0):
            lines.append(f"{'  ' * depth}{s.name}  [{s.kind.name}]")
            walk(s.context.span_id if s.context is not None else None, depth + 1)

    walk(None, 0)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--real", action="store_true", help="call the real OpenAI API")
    args = parser.parse_args(argv)
    if args.real and not os.environ.get("OPENAI_API_KEY"):
        parser.error("--real needs OPENAI_API_KEY")

    handle = agentotel.instrument(service_name="langchain_agent")
    exporter = InMemorySpanExporter()
    handle.tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))

    agent = create_agent(
        make_model(args.real),
        [get_weather, to_fahrenheit],
        system_prompt="Answer with the help of the tools.",
        name="weather_agent",
    )
    result = agent.invoke({"messages": [("user", "What's the weather in Paris, in °F?")]})
    print(result["messages"][-1].content)
    print()
    for line in render(exporter.get_finished_spans()):
        print(line)

    handle.force_flush()
    handle.uninstrument()
    return 0


if __name__ == "__main__":
    sys.exit(main())
