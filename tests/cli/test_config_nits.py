"""Config messages that point at the real mistake, /dev/null, --no-config, latency wording."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import main, one_line_error


def _eval(capsys: pytest.CaptureFixture[str], store: str, *args: str) -> Any:
    return main(capsys, "eval", "--store", store, "--run", "r1", "--no-record", *args)


def test_a_lone_typo_is_named_not_reported_missing(
    capsys: pytest.CaptureFixture[str], failing_store: dict[str, Any], tmp_path: Path
) -> None:
    store = failing_store["store"]
    cases = {
        '[eval.latency]\nbudget = [{tool = "lookup_order", max = "1s"}]\n': (
            "eval.latency.budget: unknown option (did you mean budgets?)"
        ),
        '[eval.latency]\nbudgets = [{tool = "lookup_order", maxx = "1s"}]\n': (
            "eval.latency.budgets[0].maxx: unknown option (did you mean max?)"
        ),
        "[eval.cost]\nlimit = 1\n": "eval.cost.limit: unknown option (max_usd is required",
    }
    for text, expected in cases.items():
        config = tmp_path / "agentotel.toml"
        config.write_text(text)
        done = _eval(capsys, store, "--config", str(config))
        assert done.returncode == 2, (text, done.stderr)
        assert expected in one_line_error(done), text


def test_dev_null_and_no_config(
    capsys: pytest.CaptureFixture[str], failing_store: dict[str, Any], tmp_path: Path
) -> None:
    store = failing_store["store"]
    empty = _eval(capsys, store, "--config", os.devnull, "--json")
    assert empty.stderr == "" and json.loads(empty.stdout)["failed_evaluators"]
    (tmp_path / "agentotel.toml").write_text("[eval]\nevaluators = ['tool_loops']\n")
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        configured = _eval(capsys, store, "--json")
        default = _eval(capsys, store, "--no-config", "--json")
        both = _eval(capsys, store, "--no-config", "--config", "agentotel.toml")
    finally:
        os.chdir(cwd)
    assert [e["evaluator"] for e in json.loads(configured.stdout)["evaluations"]] == ["tool_loops"]
    assert "run_failures" in json.loads(default.stdout)["failed_evaluators"]
    assert both.returncode == 2 and "not both" in one_line_error(both)
    folder = _eval(capsys, store, "--config", str(tmp_path))
    assert folder.returncode == 2 and "is a directory" in one_line_error(folder)
