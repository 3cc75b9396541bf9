"""A support agent whose runs end three ways, recorded for the CLI and MCP tests.

Order 1042 is answered; order 1043's lookup raises inside the tool, which the
agent handles (an erring span in a run that succeeds); order 9999 makes the
agent itself raise (a failed run). The model is the scripted one of
examples/evals/support.py, behind the real openai SDK.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples" / "evals"))

from support import MODEL, SYSTEM, TOOLS, llm

import agentotel


class OrderMissing(Exception):
    """The order does not exist: the run cannot answer."""


@agentotel.tool(name="lookup_order")
def lookup_order(order_id: str) -> dict[str, Any]:
    if order_id == "1043":
        raise TimeoutError("order service timed out")
    return {"order_id": order_id, "status": "shipped"}


@agentotel.agent(name="support")
def answer(question: str) -> str:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": question},
    ]
    for _ in range(4):
        response = llm().chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
        message = response.choices[0].message
        if not message.tool_calls:
            return message.content or ""
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            args = json.loads(call.function.arguments)
            if args["order_id"] == "9999":
                raise OrderMissing(args["order_id"])
            try:
                with agentotel.tool_call(call.id):
                    result = lookup_order(**args)
            except TimeoutError:
                result = {"order_id": args["order_id"], "status": "unknown"}
            messages.append(
                {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)}
            )
    return "no answer"


if __name__ == "__main__":
    handle = agentotel.instrument(service_name="support_agent", capture_content=True)
    for question in ("Where is 1042?", "Where is 1043?", "Where is 9999?"):
        try:
            print(answer(question))
        except OrderMissing as exc:
            print(f"failed: {exc!r}")
    handle.force_flush()
