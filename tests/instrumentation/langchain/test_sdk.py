"""Which model classes an agentotel SDK instrumentor already traces."""

from __future__ import annotations

import sys
import types

import pytest

from agentotel.instrumentation.langchain import sdk


def _model_class(module: str) -> type:
    return type("ChatThing", (), {"__module__": module})


def _fake_instrumentor(monkeypatch: pytest.MonkeyPatch, active: bool) -> None:
    module = types.ModuleType("agentotel.instrumentation.anthropic")
    instance = types.SimpleNamespace(_is_instrumented_by_opentelemetry=active)
    module.AnthropicInstrumentor = type("AnthropicInstrumentor", (), {"_instance": instance})  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "agentotel.instrumentation.anthropic", module)


def test_owned_only_while_the_sdk_instrumentor_is_active(monkeypatch: pytest.MonkeyPatch) -> None:
    cls = _model_class("langchain_anthropic.chat_models")
    monkeypatch.delitem(sys.modules, "agentotel.instrumentation.anthropic", raising=False)
    assert not sdk.traced_by_sdk(cls)
    _fake_instrumentor(monkeypatch, active=False)
    assert not sdk.traced_by_sdk(cls)
    _fake_instrumentor(monkeypatch, active=True)
    assert sdk.traced_by_sdk(cls)


def test_subclasses_of_integration_models_are_owned(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_instrumentor(monkeypatch, active=True)
    base = _model_class("langchain_anthropic.chat_models")
    sub = type("MyChat", (base,), {"__module__": "myapp.models"})
    assert sdk.traced_by_sdk(sub)
    assert not sdk.traced_by_sdk(_model_class("myapp.models"))
    assert not sdk.traced_by_sdk(None)


def test_noted_model_must_match_the_run() -> None:
    cls = _model_class("langchain_openai.chat_models.base")
    sdk.note_model(cls(), {"ls_provider": "openai", "ls_model_name": "gpt"})
    assert sdk.take_model({"ls_provider": "openai", "ls_model_name": "other"}) is None
    sdk.note_model(cls(), {"ls_provider": "openai", "ls_model_name": "gpt"})
    assert sdk.take_model({"ls_provider": "openai", "ls_model_name": "gpt"}) is cls
    assert sdk.take_model({"ls_provider": "openai", "ls_model_name": "gpt"}) is None  # taken once
