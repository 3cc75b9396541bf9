"""What the two example agents share: the tool, the scripted model, and the harness.

The model is agentotel's scripted OpenAI-compatible model behind the real openai
SDK (an in-process transport: no network, no key). It behaves like a real one
would here: while the conversation holds no tool result it asks for the order
lookup; once it sees the result it answers.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from typing import Any

import httpx2
import openai

import agentotel
from agentotel.testing import Reply, ScriptedModel, ToolCall, mock_transport

MODEL = "gpt-4o-mini"
MAX_TURNS = 8
QUESTIONS = [
    "Where is my order 1042?",
    "Has order 1043 shipped yet?",
    "What is the status of order 1044?",
]
ORDERS = {
    "1042": {"status": "shipped", "carrier": "DHL", "eta": "Thursday"},
    "1043": {"status": "packing", "carrier": None, "eta": "next week"},
    "1044": {"status": "delivered", "carrier": "UPS", "eta": None},
}
SYSTEM = "You are a support agent. Look orders up with the lookup_order tool before answering."
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "lookup_order",
            "description": "Status, carrier and ETA of an order.",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string"}},
                "required": ["order_id"],
            },
        },
    }
]


@agentotel.tool(name="lookup_order")
def lookup_order(order_id: str) -> dict[str, Any]:
    """Status, carrier and ETA of an order."""
    return {"order_id": order_id, **ORDERS.get(order_id, {"status": "unknown"})}


def scripted_model(body: dict[str, Any], api: str) -> Reply:
    """Ask for the lookup until a tool result is in the conversation, then answer from it."""
    messages = body.get("messages", [])
    question = next((m["content"] for m in messages if m.get("role") == "user"), "")
    order_id = (re.findall(r"\d{4}", question) or ["0000"])[0]
    results = [m for m in messages if m.get("role") == "tool"]
    if not results:
        return Reply(tool_calls=[ToolCall("lookup_order", {"order_id": order_id})])
    found = json.loads(results[-1]["content"])
    return Reply(text=f"Order {order_id} is {found['status']}.")


_client: list[openai.OpenAI] = []


def llm() -> openai.OpenAI:
    """The openai client, built once, talking to the scripted model."""
    if _client:
        return _client[0]
    transport = mock_transport(ScriptedModel(scripted_model))
    _client.append(
        openai.OpenAI(
            api_key="not-needed",
            base_url="http://scripted/v1",
            http_client=httpx2.Client(transport=transport),
            max_retries=0,
        )
    )
    return _client[0]


def main(agent: Callable[[str], str], name: str) -> None:
    """Answer every question with ``agent``, recording into the local store."""
    parser = argparse.ArgumentParser(description=f"the {name} support agent")
    parser.parse_args()
    # Content capture on, so tool arguments are recorded and loops compared by argument.
    handle = agentotel.instrument(service_name="support_agent", capture_content=True)
    for question in QUESTIONS:
        print(f"Q: {question}\nA: {agent(question)}")
    handle.force_flush()
