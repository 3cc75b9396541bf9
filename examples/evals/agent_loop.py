"""The support agent with a bug: it runs the tool but never shows the model the result.

So the model asks for the same lookup again, turn after turn, until the agent gives
up at MAX_TURNS. ``agentotel eval`` catches it (tool_loops, steps, tokens); see
agent_fixed.py for the one-line fix and docs/evals.md for the walkthrough.

    AGENTOTEL_RUN_ID=before python examples/evals/agent_loop.py
    agentotel eval --run before --config examples/evals/agentotel.toml
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
    lookups: list[dict[str, Any]] = []
    for _ in range(MAX_TURNS):
        response = llm().chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
        message = response.choices[0].message
        if not message.tool_calls:
            return message.content or ""
        for call in message.tool_calls:
            with agentotel.tool_call(call.id):
                result = lookup_order(**json.loads(call.function.arguments))
            # BUG: the result is kept for logging but never added to `messages`,
            # so the model never sees it and asks again.
            lookups.append(result)
    return "Sorry, I could not find your order."


if __name__ == "__main__":
    main(answer, "looping")
