"""An agent whose GenAI metrics Prometheus scrapes from agentotel's ``/metrics`` endpoint.

Run it with the endpoint turned on, then open http://127.0.0.1:9464/metrics::

    AGENTOTEL_PROMETHEUS_PORT=9464 AGENTOTEL_METRICS_COST=true \\
    OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental \\
    python examples/prometheus_metrics.py --hold

The model is agentotel's scripted OpenAI-compatible server on 127.0.0.1 (no key, no
network). The agent makes a few calls, one of which the server fails with a 500, and
runs a tool that raises once. ``--hold`` keeps the process (and the endpoint) up until
its standard input closes.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import openai

import agentotel
from agentotel.testing import Reply, ScriptedModelServer, ToolCall

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "convert",
            "description": "Convert an amount between currencies.",
            "parameters": {"type": "object", "properties": {"amount": {"type": "number"}}},
        },
    }
]

SCRIPT = [
    Reply(tool_calls=[ToolCall("convert", {"amount": 10})], input_tokens=120, output_tokens=30),
    Reply(text="10 EUR is about 11 USD.", input_tokens=180, output_tokens=12),
    Reply(status=500),  # a model error: error.type on the duration metric
    Reply(tool_calls=[ToolCall("convert", {"amount": -1})], input_tokens=100, output_tokens=20),
    Reply(text="I could not convert that.", input_tokens=150, output_tokens=10),
]


@agentotel.tool
def convert(amount: float) -> str:
    """Convert an amount between currencies (fails on negative amounts)."""
    if amount < 0:
        raise ValueError("negative amount")
    return f"{amount * 1.1:.2f} USD"


@agentotel.agent(name="converter")
def ask(client: openai.OpenAI, question: str) -> str:
    messages: list[dict[str, Any]] = [{"role": "user", "content": question}]
    while True:
        response = client.chat.completions.create(
            model="gpt-4o-mini", messages=messages, tools=TOOLS
        )
        message = response.choices[0].message
        if not message.tool_calls:
            return message.content or ""
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            with agentotel.tool_call(call.id):
                try:
                    result = convert(**json.loads(call.function.arguments))
                except ValueError as exc:
                    result = f"error: {exc}"
            messages.append({"role": "tool", "tool_call_id": call.id, "content": result})


def main() -> None:
    agentotel.instrument()
    with ScriptedModelServer(SCRIPT) as server:
        client = openai.OpenAI(base_url=server.openai_base_url, api_key="x", max_retries=0)
        print(ask(client, "What is 10 EUR in USD?"))
        try:
            ask(client, "And 5 EUR?")
        except openai.InternalServerError:
            print("the model failed once")
        print(ask(client, "And -1 EUR?"))
    print("done", flush=True)
    if "--hold" in sys.argv:
        sys.stdin.read()


if __name__ == "__main__":
    main()
