"""Where evaluators come from: the bundled ones, the ``agentotel.evaluators`` entry points,
and plain callables named in config, all behind one small interface."""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol

from agentotel.evals.builtin import BUILTINS, TRACE, TRACES, Context, Evaluator
from agentotel.evals.errors import ConfigError
from agentotel.evals.model import Result, TraceData
from agentotel.evals.options import Options

ENTRY_POINT_GROUP = "agentotel.evaluators"


def _bundled() -> dict[str, type[Evaluator]]:
    from agentotel.evals.cases import Expectations, ToolSelection
    from agentotel.evals.judge import Judge

    return {**BUILTINS, **{c.name: c for c in (Expectations, ToolSelection, Judge)}}


BUNDLED: dict[str, type[Evaluator]] = _bundled()
"""Every evaluator agentotel ships: the structural ones plus datasets and the LLM judge."""


class EvaluatorLike(Protocol):
    """Anything the runner can call: a name, a scope and ``evaluate``."""

    @property
    def name(self) -> str: ...

    @property
    def scope(self) -> str: ...

    def evaluate(self, traces: Sequence[TraceData], ctx: Context) -> list[Result]: ...


def evaluator(
    func: Callable[..., Any] | None = None, *, name: str | None = None, scope: str = TRACE
) -> Any:
    """Optional marker for custom evaluators: ``@evaluator`` or ``@evaluator(scope="traces")``.

    A plain function works without it; this only sets the name and whether the function
    receives one trace at a time (``"trace"``, the default) or the whole selection.
    """
    if scope not in (TRACE, TRACES):
        raise ValueError(f"scope must be {TRACE!r} or {TRACES!r}, not {scope!r}")

    def mark(f: Callable[..., Any]) -> Callable[..., Any]:
        f.agentotel_scope = scope  # type: ignore[attr-defined]
        if name is not None:
            f.agentotel_name = name  # type: ignore[attr-defined]
        return f

    return mark(func) if func is not None else mark


class CallableEvaluator:
    """Adapts a plain function: ``func(trace, **options)`` or ``func(traces, **options)``.

    The function may return a :class:`Result`, a bool, ``(passed, explanation)``,
    ``(score, passed, explanation)``, a dict with those keys (plus ``span_ids``), or
    None when it does not apply to the trace.
    """

    def __init__(
        self,
        name: str,
        func: Callable[..., Any],
        options: Mapping[str, Any] | None = None,
        scope: str | None = None,
    ) -> None:
        self.name = name
        self.func = func
        self.options = dict(options or {})
        self.scope: str = scope or str(getattr(func, "agentotel_scope", TRACE))

    def evaluate(self, traces: Sequence[TraceData], ctx: Context) -> list[Result]:
        if self.scope == TRACES:
            value = self.func(list(traces), **self.options)
            items = value if isinstance(value, list) else [value]
            return [r for r in (self._coerce(v, None) for v in items) if r is not None]
        out = []
        for trace in traces:
            result = self._coerce(self.func(trace, **self.options), trace)
            if result is not None:
                out.append(result)
        return out

    def _coerce(self, value: Any, trace: TraceData | None) -> Result | None:
        if value is None:
            return None
        result: Result
        if isinstance(value, Result):
            result = value
        elif isinstance(value, bool):
            result = Result(self.name, float(value), value, "passed" if value else "failed")
        elif isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], bool):
            result = Result(self.name, float(value[0]), value[0], str(value[1]))
        elif (
            isinstance(value, tuple)
            and len(value) == 3
            and isinstance(value[1], bool)
            and isinstance(value[0], (int, float))
        ):
            result = Result(self.name, float(value[0]), value[1], str(value[2]))
        elif isinstance(value, Mapping) and ("passed" in value or "label" in value):
            passed = bool(value["passed"]) if "passed" in value else value["label"] == "pass"
            result = Result(
                self.name,
                float(value.get("score", 1.0 if passed else 0.0)),
                passed,
                str(value.get("explanation", "passed" if passed else "failed")),
                span_ids=[str(s) for s in value.get("span_ids", [])],
                subject=value.get("subject"),
                details=dict(value.get("details", {})),
            )
        else:
            raise TypeError(
                f"returned {type(value).__name__}; expected a Result, a bool, "
                "(passed, explanation), (score, passed, explanation) or a dict"
            )
        result.evaluator = result.evaluator or self.name
        if trace is not None:
            result.trace_id = result.trace_id or trace.trace_id
            result.span_id = result.span_id or trace.root.span_id
        return result


def import_object(target: str, key: str, source: str | None, base_dir: Path | None) -> Any:
    """``"package.module:attribute"`` imported, with the config's folder importable."""
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(key, f"expected 'module:function', got {target!r}", source)
    with _importable(base_dir):
        try:
            obj: Any = importlib.import_module(module_name)
            for part in attr.split("."):
                obj = getattr(obj, part)
        except Exception as exc:
            raise ConfigError(
                key, f"cannot import {target!r} ({type(exc).__name__}: {exc})", source
            ) from None
    if not callable(obj):
        raise ConfigError(key, f"{target!r} is not callable", source)
    return obj


@contextmanager
def _importable(folder: Path | None) -> Iterator[None]:
    path = str(folder.resolve()) if folder is not None else None
    added = path is not None and path not in sys.path
    if added and path is not None:
        sys.path.insert(0, path)
    try:
        yield
    finally:
        if added and path is not None:
            sys.path.remove(path)


def _entry_points() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def known_names() -> set[str]:
    """Every evaluator name that can be referenced without defining it in config."""
    return set(BUNDLED) | set(_entry_points())


def check_options(func: Callable[..., Any], options: Mapping[str, Any], opts: Options) -> None:
    """Reject options a custom callable cannot take, naming the key."""
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return
    try:
        sig.bind(None, **options)
    except TypeError:
        params = sig.parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        for key in options:
            if not takes_any and key not in params:
                raise opts.error(key, f"{_qualname(func)} takes no option {key!r}") from None
        raise opts.error(
            "", f"{_qualname(func)} cannot be called as func(trace, **options)"
        ) from None


def _qualname(func: Callable[..., Any]) -> str:
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', func)}"


def build(
    name: str,
    table: Mapping[str, Any],
    path: str,
    source: str | None = None,
    target: str | None = None,
    base_dir: Path | None = None,
) -> EvaluatorLike:
    """An evaluator by name: bundled, from config (``target``), or from an entry point."""
    opts = Options(table, path, source)
    if target is not None:
        func = import_object(target, f"{path}.callable", source, base_dir)
        return _from_object(name, func, opts)
    if name in BUNDLED:
        return BUNDLED[name].configure(opts)
    ep = _entry_points().get(name)
    if ep is None:
        raise ConfigError(path, f"unknown evaluator {name!r}", source)
    try:
        obj = ep.load()
    except Exception as exc:
        raise ConfigError(
            path, f"cannot load entry point {ep.value!r} ({type(exc).__name__}: {exc})", source
        ) from None
    return _from_object(name, obj, opts)


def _from_object(name: str, obj: Any, opts: Options) -> EvaluatorLike:
    if inspect.isclass(obj) and issubclass(obj, Evaluator):
        return obj.configure(opts)
    scope = opts.string("scope", None, (TRACE, TRACES))
    options = {k: v for k, v in opts.table.items() if k not in ("scope", "callable", "enabled")}
    check_options(obj, options, opts)
    return CallableEvaluator(name, obj, options, scope)
