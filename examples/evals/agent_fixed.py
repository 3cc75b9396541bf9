"""The support agent, fixed: the tool result goes back into the conversation.

AGENTOTEL_RUN_ID=after python examples/evals/agent_fixed.py
agentotel eval --run after --config examples/evals/agentotel.toml
agentotel compare --baseline run:before --candidate run:after
"""

from __future__ import annotations

import json
from typing import Any

from support import MAX_TURNS, MODEL, SYSTEM, TOOLS, llm, lookup_order, main

import agentotel


@agentotel.agent(name="support")
def answer(question: str) -> str:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": question},
    ]
    for _ in range(MAX_TURNS):
        response = llm().chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
        message = response.choices[0].message
        if not message.tool_calls:
            return message.content or ""
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            with agentotel.tool_call(call.id):
                result = lookup_order(**json.loads(call.function.arguments))
            # The fix: the model sees the result.
            messages.append(
                {"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)}
            )
    return "Sorry, I could not find your order."


if __name__ == "__main__":
    main(answer, "fixed")
