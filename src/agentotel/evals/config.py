"""Evaluation config: ``[tool.agentotel.eval]`` in pyproject.toml, or ``[eval]`` in agentotel.toml.

Which evaluators run (the default set, plus every evaluator given an option table,
or exactly the ``evaluators`` list), their thresholds, custom callables, which
traces to judge (``[eval.select]``), extra model prices (``[prices]``) and
``compare`` tolerances. Every mistake is a :class:`ConfigError` naming the key.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentotel.evals import registry
from agentotel.evals.builtin import DEFAULT_SET
from agentotel.evals.errors import ConfigError
from agentotel.evals.options import Options, suggest
from agentotel.pricing import Price

AGENTOTEL_TOML = "agentotel.toml"
PYPROJECT_TOML = "pyproject.toml"
SECTIONS = ("eval", "compare", "prices")
_EVAL_KEYS = ("evaluators", "select", "custom")
_RESERVED = ("enabled", "callable", "scope")


def _toml_module() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    try:
        import tomli  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    return tomli


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file (tomllib, or ``tomli`` on Python 3.10)."""
    toml = _toml_module()
    if toml is None:
        raise ConfigError(
            "", "reading TOML config on Python 3.10 needs the tomli package (pip install tomli)",
            str(path),
        )  # fmt: skip
    try:
        with open(path, "rb") as fh:
            data: dict[str, Any] = toml.load(fh)
    except OSError as exc:
        raise ConfigError("", f"cannot read config: {exc.strerror or exc}", str(path)) from None
    except toml.TOMLDecodeError as exc:
        raise ConfigError("", f"invalid TOML: {exc}", str(path)) from None
    return data


def find_config(start: Path | None = None) -> Path | None:
    """agentotel.toml, or a pyproject.toml with ``[tool.agentotel]``, here or in a parent.

    The search stops at the first folder holding a pyproject.toml or a ``.git``.
    """
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        own = candidate / AGENTOTEL_TOML
        if own.is_file():
            return own
        project = candidate / PYPROJECT_TOML
        if project.is_file():
            try:
                data = read_toml(project)
            except ConfigError:
                return project  # let loading report the broken file
            return project if "agentotel" in data.get("tool", {}) else None
        if (candidate / ".git").exists():
            return None
    return None


@dataclass
class Selection:
    """Which traces to evaluate; unset fields do not filter."""

    run: str | None = None
    since: str | None = None
    until: str | None = None
    service: str | None = None
    root_name: str | None = None
    commit: str | None = None
    traces: list[str] = field(default_factory=list)
    limit: int = 1000

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, [])}


@dataclass
class Tolerance:
    """A change counts only when it is larger than both ``relative * baseline`` and ``absolute``."""

    relative: float
    absolute: float = 0.0


@dataclass
class CompareConfig:
    tolerances: dict[str, Tolerance] = field(default_factory=dict)
    default_relative: float | None = None
    confidence: float = 0.95
    metrics: list[str] | None = None


@dataclass
class Config:
    """Parsed config; :meth:`evaluators` builds the evaluators to run."""

    source: str | None = None
    prefix: str = ""
    base_dir: Path | None = None
    enabled: list[str] = field(default_factory=lambda: list(DEFAULT_SET))
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    custom: dict[str, str] = field(default_factory=dict)
    select: Selection = field(default_factory=Selection)
    prices: dict[str, Price] = field(default_factory=dict)
    compare: CompareConfig = field(default_factory=CompareConfig)

    def key(self, *parts: str) -> str:
        return self.prefix + ".".join(parts)

    def build(self, name: str) -> registry.EvaluatorLike:
        """One evaluator with its options from config (ConfigError when they are wrong)."""
        table = self.tables.get(name, {})
        if name in self.custom:
            target = self.custom[name]
            return registry.build(
                name, table, self.key("eval", "custom", name), self.source, target, self.base_dir
            )
        known = registry.known_names()
        if name not in known:
            raise ConfigError(
                self.key("eval", "evaluators"),
                f"unknown evaluator {name!r}{suggest(name, known | set(self.custom))}",
                self.source,
            )
        return registry.build(name, table, self.key("eval", name), self.source)

    def evaluators(self, only: Sequence[str] | None = None) -> list[registry.EvaluatorLike]:
        """The enabled evaluators, or exactly ``only`` (names) when given."""
        return [self.build(name) for name in (list(only) if only else self.enabled)]

    def price_fn(self) -> Any:
        from agentotel.pricing import pricer

        return pricer(self.prices)


def load_config(path: str | Path | None = None, *, cwd: Path | None = None) -> Config:
    """Load ``path``, or the config found from ``cwd`` upwards, or the defaults when none exists."""
    if path is None:
        found = find_config(cwd)
        if found is None:
            return Config()
        path = found
    target = Path(path)
    if not target.exists():
        raise ConfigError("", "no such config file", str(target))
    if target.is_dir():
        raise ConfigError("", "is a directory, not a config file", str(target))
    # Anything else readable (a file, /dev/null, a pipe) is read: empty means the defaults.
    data = read_toml(target)
    if target.name == PYPROJECT_TOML or "agentotel" in data.get("tool", {}):
        section = data.get("tool", {}).get("agentotel", {})
        prefix = "tool.agentotel."
    else:
        section, prefix = data, ""
    config = parse(section, source=str(target), prefix=prefix, base_dir=target.parent.resolve())
    # Validate every evaluator's options now, so a typo fails before any trace is read.
    config.evaluators()
    for name in config.tables:
        if name not in config.enabled:
            config.build(name)
    return config


def parse(
    section: Mapping[str, Any],
    source: str | None = None,
    prefix: str = "",
    base_dir: Path | None = None,
) -> Config:
    """A Config from the ``agentotel`` table of a TOML document."""
    if not isinstance(section, Mapping):
        raise ConfigError(prefix.rstrip("."), "expected a table", source)
    config = Config(source=source, prefix=prefix, base_dir=base_dir)
    for key in section:
        if key not in SECTIONS and suggest(key, SECTIONS):
            raise ConfigError(prefix + key, f"unknown section{suggest(key, SECTIONS)}", source)
    _parse_eval(config, section.get("eval", {}))
    _parse_prices(config, section.get("prices", {}))
    _parse_compare(config, section.get("compare", {}))
    return config


def _parse_eval(config: Config, raw: Any) -> None:
    opts = Options(raw, config.key("eval"), config.source)
    listed = opts.strings("evaluators", None)
    config.select = _parse_select(
        Options(opts.raw("select") or {}, opts.key("select"), opts.source)
    )
    custom_raw = opts.raw("custom") or {}
    custom = Options(custom_raw, opts.key("custom"), opts.source)
    for name, value in custom.table.items():
        custom.raw(name)
        if isinstance(value, str):
            config.custom[name] = value
            config.tables.setdefault(name, {})
        elif isinstance(value, Mapping):
            target = value.get("callable")
            if not isinstance(target, str):
                raise ConfigError(
                    f"{custom.key(name)}.callable", "required: 'module:function'", config.source
                )
            config.custom[name] = target
            config.tables[name] = {k: v for k, v in value.items() if k != "callable"}
        else:
            raise custom.error(name, "expected 'module:function' or a table with callable = ...")
    known = registry.known_names() | set(config.custom)
    configured: list[str] = []
    for key, value in opts.table.items():
        if key in _EVAL_KEYS:
            continue
        if not isinstance(value, Mapping):
            raise opts.error(key, f"unknown option{suggest(key, [*_EVAL_KEYS, *known])}")
        if key not in known:
            raise opts.error(key, f"unknown evaluator{suggest(key, known)}")
        if key in config.custom:
            raise opts.error(key, f"configure custom evaluator {key!r} under eval.custom.{key}")
        opts.raw(key)
        config.tables[key] = dict(value)
        configured.append(key)
    opts.done()
    for name, table in config.tables.items():
        enabled = table.get("enabled", True)
        if not isinstance(enabled, bool):
            where = "custom." + name if name in config.custom else name
            raise ConfigError(
                config.key("eval", where, "enabled"), "expected true or false", config.source
            )
    if listed is not None:
        for name in listed:
            if name not in known:
                raise opts.error("evaluators", f"unknown evaluator {name!r}{suggest(name, known)}")
        config.enabled = list(dict.fromkeys(listed))
    else:
        wanted = [*DEFAULT_SET, *configured, *config.custom]
        config.enabled = [
            n for n in dict.fromkeys(wanted) if config.tables.get(n, {}).get("enabled", True)
        ]
    for table in config.tables.values():
        table.pop("enabled", None)


def _parse_select(opts: Options) -> Selection:
    sel = Selection(
        run=opts.string("run", None),
        since=opts.string("since", None),
        until=opts.string("until", None),
        service=opts.string("service", None),
        root_name=opts.string("root_name", None),
        commit=opts.string("commit", None),
        limit=opts.number("limit", 1000, minimum=1, integer=True),
    )
    for name in ("since", "until"):
        value = getattr(sel, name)
        if value is not None:
            from agentotel.query import parse_time

            try:
                parse_time(value)
            except ValueError as exc:
                raise opts.error(name, str(exc)) from None
    opts.done()
    return sel


def _parse_prices(config: Config, raw: Any) -> None:
    opts = Options(raw, config.key("prices"), config.source)
    for model, value in opts.table.items():
        opts.raw(model)
        entry = Options(value, opts.key(f'"{model}"'), config.source)
        input_price = entry.number("input", None, minimum=0.0)
        output_price = entry.number("output", None, minimum=0.0)
        if input_price is None or output_price is None:
            raise entry.error(
                "input" if input_price is None else "output",
                "required: USD per million tokens",
            )
        config.prices[model] = Price(
            input_price,
            output_price,
            entry.number("cache_read", None, minimum=0.0),
            entry.number("cache_write", None, minimum=0.0),
        )
        entry.done()


def _parse_compare(config: Config, raw: Any) -> None:
    from agentotel.evals.compare import METRICS

    opts = Options(raw, config.key("compare"), config.source)
    cmp = config.compare
    cmp.default_relative = opts.number("tolerance", None, minimum=0.0)
    cmp.confidence = opts.number("confidence", 0.95, minimum=0.5, maximum=0.999)
    cmp.metrics = opts.strings("metrics", None)
    for name in cmp.metrics or []:
        if name not in METRICS:
            raise opts.error("metrics", f"unknown metric {name!r}{suggest(name, list(METRICS))}")
    tol = Options(opts.raw("tolerances") or {}, opts.key("tolerances"), config.source)
    for name, value in tol.table.items():
        tol.raw(name)
        if name not in METRICS:
            raise tol.error(name, f"unknown metric{suggest(name, list(METRICS))}")
        if isinstance(value, Mapping):
            entry = Options(value, tol.key(f'"{name}"'), config.source)
            default = METRICS[name].tolerance
            cmp.tolerances[name] = Tolerance(
                entry.number("relative", default.relative, minimum=0.0),
                entry.number("absolute", default.absolute, minimum=0.0),
            )
            entry.done()
        else:
            number = tol.number(name, None, minimum=0.0)
            cmp.tolerances[name] = Tolerance(number, METRICS[name].tolerance.absolute)
    opts.done()
