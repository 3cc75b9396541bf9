"""Config files: discovery, defaults, and an error naming the key for every kind of mistake."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from agentotel.evals import config as config_mod
from agentotel.evals import registry
from agentotel.evals.config import ConfigError, load_config
from tests.evals.helpers import clean_trace


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def names(cfg: config_mod.Config) -> list[str]:
    return [e.name for e in cfg.evaluators()]


def test_no_config_gives_the_default_set(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    cfg = load_config(cwd=tmp_path)
    assert cfg.source is None
    assert names(cfg) == ["run_failures", "tool_loops", "tool_errors", "llm_errors", "truncation"]


def test_tables_enable_and_tune_evaluators(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "agentotel.toml",
        """
        [eval.tokens]
        max_total = 500
        [eval.truncation]
        enabled = false
        [eval.tool_loops]
        min_repeats = 5
        [eval.select]
        run = "r1"
        since = "2h"
        """,
    )
    cfg = load_config(path)
    assert names(cfg) == ["run_failures", "tool_loops", "tool_errors", "llm_errors", "tokens"]
    loops = cfg.build("tool_loops")
    assert loops.min_repeats == 5  # type: ignore[attr-defined]
    assert cfg.select.run == "r1" and cfg.select.since == "2h"


def test_explicit_list(tmp_path: Path) -> None:
    path = write(tmp_path, "agentotel.toml", 'eval.evaluators = ["steps", "tool_loops"]\n')
    assert names(load_config(path)) == ["steps", "tool_loops"]


def test_pyproject_is_found_from_a_subfolder(tmp_path: Path) -> None:
    write(
        tmp_path,
        "pyproject.toml",
        """
        [project]
        name = "x"
        [tool.agentotel.eval.steps]
        max_llm_calls = 3
        """,
    )
    sub = tmp_path / "src" / "pkg"
    sub.mkdir(parents=True)
    cfg = load_config(cwd=sub)
    assert cfg.source == str(tmp_path / "pyproject.toml")
    assert "steps" in names(cfg)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[eval.tool_loop]\nmin_repeats = 3\n",
            "eval.tool_loop: unknown evaluator (did you mean tool_loops?)",
        ),
        (
            "[eval.tool_loops]\nmin_repeats = 'three'\n",
            "eval.tool_loops.min_repeats: expected an integer, got 'three' (str)",
        ),
        (
            "[eval.tool_loops]\nmin_repeats = 1\n",
            "eval.tool_loops.min_repeats: must be at least 2, got 1",
        ),
        (
            "[eval.tool_loops]\nmin_repeat = 3\n",
            "eval.tool_loops.min_repeat: unknown option (did you mean min_repeats?)",
        ),
        ("[eval.tokens]\n", "eval.tokens.max_total: set at least one of"),
        ("[eval.cost]\nmax_usd = -1\n", "eval.cost.max_usd: must be at least 0.0"),
        ("[eval.latency]\nbudgets = [{tool = 'x'}]\n", "eval.latency.budgets[0].max: required"),
        (
            "[eval.latency]\nbudgets = [{tool = 'x', agent = 'y', max = 1}]\n",
            "eval.latency.budgets[0]: give exactly one of",
        ),
        (
            "[eval.latency]\nbudgets = [{tool = 'x', max = 'soon'}]\n",
            "eval.latency.budgets[0].max: not a duration",
        ),
        (
            "[eval]\nevaluators = ['tool_loops', 'nope']\n",
            "eval.evaluators: unknown evaluator 'nope'",
        ),
        ("[eval]\nmax_traces = 3\n", "eval.max_traces: unknown option"),
        ("[eval.select]\nsince = 'yesterday-ish'\n", "eval.select.since: not a time"),
        ("[eval.steps]\nenabled = 'yes'\n", "eval.steps.enabled: expected true or false"),
        ("[evals.steps]\nmax_llm_calls = 3\n", "evals: unknown section (did you mean eval?)"),
        ("[prices.my-model]\ninput = 1.0\n", 'prices."my-model".output: required'),
        ("[compare.tolerances]\ntokens = 0.1\n", "compare.tolerances.tokens: unknown metric"),
        ("[compare]\nconfidence = 2\n", "compare.confidence: must be at most 0.999"),
        (
            "[eval.custom]\nmine = 'no_colon'\n",
            "eval.custom.mine.callable: expected 'module:function'",
        ),
        (
            "[eval.custom]\nmine = 'no_such_module_xyz:f'\n",
            "eval.custom.mine.callable: cannot import",
        ),
        ("eval = [1\n", "invalid TOML"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "agentotel.toml", text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert message in str(err.value)
    assert str(err.value).startswith(str(path))
    assert "\n" not in str(err.value)


def test_pyproject_keys_carry_the_tool_prefix(tmp_path: Path) -> None:
    path = write(tmp_path, "pyproject.toml", "[tool.agentotel.eval.steps]\nmax_llm_calls = 0\n")
    with pytest.raises(ConfigError, match=r"tool\.agentotel\.eval\.steps\.max_llm_calls"):
        load_config(path)


def test_custom_callable_from_config_with_options(tmp_path: Path) -> None:
    write(
        tmp_path,
        "my_evals.py",
        """
        def used_tool(trace, tool="lookup_order"):
            calls = [s for s in trace.tool_calls if s.tool_name == tool]
            return bool(calls), f"{tool} ran {len(calls)} times"
        """,
    )
    path = tmp_path / "agentotel.toml"
    path.write_text(
        '[eval.custom]\nused_lookup = "my_evals:used_tool"\n'
        'used_search = { callable = "my_evals:used_tool", tool = "search" }\n',
        encoding="utf-8",
    )
    cfg = load_config(path)
    assert names(cfg)[-2:] == ["used_lookup", "used_search"]
    from agentotel import evals

    report = evals.evaluate(clean_trace().spans, config=cfg)
    assert report.outcome("used_lookup").passed
    assert not report.outcome("used_search").passed
    bad = write(
        tmp_path,
        "bad.toml",
        '[eval.custom]\nx = { callable = "my_evals:used_tool", colour = "red" }\n',
    )
    with pytest.raises(ConfigError, match=r"eval\.custom\.x\.colour: .*takes no option 'colour'"):
        load_config(bad)


def test_entry_point_evaluators(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    class FakeEntryPoint:
        name = "always_fails"
        value = "pkg:always_fails"

        def load(self) -> Any:
            return lambda trace, reason="no": (False, reason)

    monkeypatch.setattr(registry, "_entry_points", lambda: {"always_fails": FakeEntryPoint()})
    path = write(tmp_path, "agentotel.toml", '[eval.always_fails]\nreason = "because"\n')
    cfg = load_config(path)
    assert "always_fails" in names(cfg)
    from agentotel import evals

    report = evals.evaluate(clean_trace().spans, config=cfg)
    assert report.outcome("always_fails").results[0].explanation == "because"


def test_python_310_without_tomli_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(config_mod, "_toml_module", lambda: None)
    path = write(tmp_path, "agentotel.toml", "")
    with pytest.raises(ConfigError, match="needs the tomli package"):
        load_config(path)


def test_prices_and_tolerances(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "agentotel.toml",
        """
        [prices."house-model"]
        input = 2.0
        output = 4.0
        [compare]
        tolerance = 0.3
        [compare.tolerances]
        "tokens.total" = 0.01
        cost_usd = { relative = 0.02, absolute = 0.001 }
        """,
    )
    cfg = load_config(path)
    assert cfg.price_fn()("house-model", 1_000_000, 1_000_000, 0, 0) == pytest.approx(6.0)
    assert cfg.compare.default_relative == 0.3
    assert cfg.compare.tolerances["tokens.total"].relative == 0.01
    assert cfg.compare.tolerances["cost_usd"].absolute == 0.001
