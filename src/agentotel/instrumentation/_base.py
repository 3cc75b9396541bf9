"""What every agentotel instrumentor shares: settings, the handler, wrapping and unwrapping."""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable, Collection
from typing import Any

import wrapt
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.utils import unwrap

from agentotel import _config, _safety
from agentotel.telemetry import TelemetryHandler

_log = logging.getLogger("agentotel")

Wrapper = Callable[[Any, Any, tuple[Any, ...], dict[str, Any]], Any]


class AgentotelInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """A ``BaseInstrumentor`` that patches one library through :class:`TelemetryHandler`.

    Subclasses name the module to wait for (``module``), the package requirement
    (``instruments``) and implement :meth:`patches`: a list of
    ``(module, "Class.method", wrapper_factory)``. Patching happens when the module is
    imported, or at once if it already is; ``uninstrument()`` restores the originals.
    """

    name: str = ""
    module: str = ""
    instruments: tuple[str, ...] = ()

    def __init__(self) -> None:
        super().__init__()
        # BaseInstrumentor is a per-class singleton: __init__ runs on every
        # construction, so keep the state of an instance that is already patched.
        if not hasattr(self, "_wrapped"):
            self.handler: TelemetryHandler | None = None
            self._wrapped: list[tuple[Any, str]] = []
            self._active = False

    def instrumentation_dependencies(self) -> Collection[str]:
        return self.instruments

    # Subclasses implement -------------------------------------------------
    def patches(self, handler: TelemetryHandler) -> list[tuple[str, str, Wrapper]]:
        raise NotImplementedError

    def on_patched(self, handler: TelemetryHandler) -> None:
        """Hook for work after patching (e.g. configuring a library's own telemetry)."""

    def on_unpatched(self) -> None:
        """Hook undoing :meth:`on_patched`."""

    # BaseInstrumentor ------------------------------------------------------
    def _instrument(self, **kwargs: Any) -> None:
        settings = kwargs.get("settings")
        if not isinstance(settings, _config.Settings):
            settings = _config.from_env(
                content=kwargs.get("capture_content"),
                max_content_length=kwargs.get("max_content_length"),
                redact=kwargs.get("redact"),
            )
        self.handler = TelemetryHandler(
            tracer_provider=kwargs.get("tracer_provider"),
            meter_provider=kwargs.get("meter_provider"),
            logger_provider=kwargs.get("logger_provider"),
            settings=settings,
        )
        self._active = True
        if self.module in sys.modules:
            self._patch()
        else:
            wrapt.register_post_import_hook(self._on_import, self.module)

    def _on_import(self, _module: Any) -> None:
        if self._active and not self._wrapped:
            self._patch()

    def _patch(self) -> None:
        handler = self.handler
        assert handler is not None
        for module_name, attr, factory in self.patches(handler):
            try:
                module = importlib.import_module(module_name)
                owner_name, _, method = attr.rpartition(".")
                owner: Any = module
                for part in owner_name.split(".") if owner_name else ():
                    owner = getattr(owner, part)
                if not hasattr(owner, method):
                    continue  # feature-detect: older/newer releases may lack the method
                wrapt.wrap_function_wrapper(owner, method, factory)
                self._wrapped.append((owner, method))
            except Exception as exc:
                _log.debug("agentotel: could not patch %s.%s: %s", module_name, attr, exc)
        try:
            self.on_patched(handler)
        except Exception as exc:
            _safety.report(f"{self.name}.on_patched", exc)

    def _uninstrument(self, **kwargs: Any) -> None:
        self._active = False
        while self._wrapped:
            owner, method = self._wrapped.pop()
            unwrap(owner, method)
        try:
            self.on_unpatched()
        except Exception as exc:
            _safety.report(f"{self.name}.on_unpatched", exc)
        self.handler = None
