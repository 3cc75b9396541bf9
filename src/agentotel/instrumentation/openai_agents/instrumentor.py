"""The OpenAI Agents SDK instrumentor: a tracing processor plus a few wrappers."""

from __future__ import annotations

from typing import Any

from agentotel import _safety
from agentotel.instrumentation._base import AgentotelInstrumentor, Wrapper
from agentotel.instrumentation.openai_agents.package import _instruments
from agentotel.telemetry import TelemetryHandler

_UPLOAD_VALUES = {None: None, "keep": None, True: None, False: False, "off": False}


class OpenAIAgentsInstrumentor(AgentotelInstrumentor):
    """Emits ``invoke_workflow``, ``invoke_agent``, ``chat`` and ``execute_tool`` spans for
    every OpenAI Agents SDK run, and guardrail spans.

    Usable alone, like any OpenTelemetry instrumentor::

        OpenAIAgentsInstrumentor().instrument(tracer_provider=tp, meter_provider=mp)

    ``upload`` decides about the SDK's own tracing processors (by default one that
    uploads traces to OpenAI's platform): ``"keep"`` (the default) leaves them as the
    application configured them; ``"off"`` (or ``False``) makes agentotel's processor
    the only one while instrumented and restores the others on ``uninstrument()``.
    """

    name = "openai_agents"
    module = "agents"
    instruments = _instruments

    def _instrument(self, **kwargs: Any) -> None:
        upload = kwargs.get("upload")
        if upload not in _UPLOAD_VALUES:
            raise ValueError(f"upload must be 'keep' or 'off', not {upload!r}")
        self._upload = _UPLOAD_VALUES[upload]
        super()._instrument(**kwargs)

    def patches(self, handler: TelemetryHandler) -> list[tuple[str, str, Wrapper]]:
        try:
            # Imported here: these modules need the SDK, which is loaded by now.
            from agentotel.instrumentation.openai_agents.patch import patches

            return patches(handler)
        except Exception as exc:  # an unexpected SDK layout costs telemetry only
            _safety.report("openai_agents.patches", exc)
            return []

    def on_patched(self, handler: TelemetryHandler) -> None:
        from agentotel.instrumentation.openai_agents import processor

        processor.install(handler, getattr(self, "_upload", None))

    def on_unpatched(self) -> None:
        import sys

        processor = sys.modules.get("agentotel.instrumentation.openai_agents.processor")
        if processor is not None:
            processor.uninstall()
