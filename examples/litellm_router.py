"""LiteLLM's Router in front of two providers, traced by agentotel.

By default both "providers" are agentotel's scripted OpenAI- and Anthropic-compatible
server on 127.0.0.1 (no API key, no network). The agentotel openai instrumentor is on
too: LiteLLM calls the openai SDK underneath, yet each call gets exactly one span, named
for the provider that served it, with LiteLLM's own cost estimate on it.
"""

from __future__ import annotations

import asyncio
import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no cost-map download

import litellm
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentotel
from agentotel.testing import Reply, ScriptedModelServer

SCRIPT = [
    Reply("Paris is sunny today.", input_tokens=40, output_tokens=6),
    Reply("Bring sunglasses.", input_tokens=52, output_tokens=4, chunks=3),
]


async def ask(router: litellm.Router) -> list[str]:
    question = [{"role": "user", "content": "What is the weather in Paris?"}]
    first = await router.acompletion(model="fast", messages=question)
    answers = [first.choices[0].message.content]
    stream = await router.acompletion(model="smart", messages=question, stream=True)
    answers.append("".join([c.choices[0].delta.content or "" async for c in stream]))
    return answers


def main() -> None:
    handle = agentotel.instrument(service_name="litellm_router")
    memory = InMemorySpanExporter()
    handle.tracer_provider.add_span_processor(SimpleSpanProcessor(memory))
    with ScriptedModelServer(SCRIPT) as server:
        router = litellm.Router(
            model_list=[
                {
                    "model_name": "fast",
                    "litellm_params": {
                        "model": "openai/gpt-4o-mini",
                        "api_base": server.openai_base_url,
                        "api_key": "not-needed",
                    },
                },
                {
                    "model_name": "smart",
                    "litellm_params": {
                        "model": "anthropic/claude-sonnet-4-5",
                        "api_base": server.anthropic_base_url,
                        "api_key": "not-needed",
                    },
                },
            ]
        )
        answers = asyncio.run(ask(router))
        calls = len(server.requests)
    for answer in answers:
        print(f"Answer: {answer}")
    spans = memory.get_finished_spans()
    for span in spans:
        attrs = span.attributes or {}
        print(
            f"{span.name:<28} provider={attrs.get('gen_ai.provider.name')}"
            f" tokens={attrs.get('gen_ai.usage.input_tokens')}/{attrs.get('gen_ai.usage.output_tokens')}"
            f" cost={attrs.get('agentotel.usage.cost')}"
        )
    if len(spans) != calls:
        raise SystemExit(f"expected {calls} spans, got {[s.name for s in spans]}")
    print("one span per call: ok")
    handle.force_flush()
    handle.uninstrument()


if __name__ == "__main__":
    main()
