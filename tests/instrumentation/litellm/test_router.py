"""The Router: one span per deployment attempt, named for the provider that served it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agentotel.testing import Reply
from tests.instrumentation.litellm.conftest import USER, anthropic_args, openai_args

pytestmark = pytest.mark.usefixtures("instrumented")


def make_router(litellm: Any, server: Any, **options: Any) -> Any:
    claude = anthropic_args(server)
    claude.pop("max_tokens")
    return litellm.Router(
        model_list=[
            {"model_name": "fast", "litellm_params": openai_args(server)},
            {"model_name": "smart", "litellm_params": claude},
            {
                "model_name": "embed",
                "litellm_params": openai_args(server, "text-embedding-3-small"),
            },
        ],
        **options,
    )


def test_router_calls(litellm: Any, server: Any, span_exporter: Any) -> None:
    router = make_router(litellm, server)
    router.completion(model="fast", messages=USER)

    async def calls() -> None:
        await router.acompletion(model="smart", messages=USER, max_tokens=20)
        await router.aembedding(model="embed", input=["hi"])

    asyncio.run(calls())
    router.embedding(model="embed", input=["hi"])
    spans = span_exporter.get_finished_spans()
    assert [(s.name, s.attributes["gen_ai.provider.name"]) for s in spans] == [
        ("chat gpt-4o-mini", "openai"),
        ("chat claude-sonnet-4-5", "anthropic"),
        ("embeddings text-embedding-3-small", "openai"),
        ("embeddings text-embedding-3-small", "openai"),
    ]


def test_router_fallback_spans_each_attempt(litellm: Any, server: Any, span_exporter: Any) -> None:
    server.model.add(Reply(status=400), Reply("from the fallback"))
    router = make_router(litellm, server, fallbacks=[{"fast": ["smart"]}], num_retries=0)
    response = router.completion(model="fast", messages=USER)
    assert response.choices[0].message.content == "from the fallback"
    failed, served = span_exporter.get_finished_spans()
    assert failed.attributes["gen_ai.provider.name"] == "openai"
    assert failed.attributes["error.type"] == "litellm.BadRequestError"
    assert served.attributes["gen_ai.provider.name"] == "anthropic"
    assert "error.type" not in served.attributes
