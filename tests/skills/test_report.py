"""``agentotel report`` on a real fixed bug, and the loop example end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agentotel.cli import main
from tests.skills.conftest import CONFIG, EXAMPLE, ROOT


def test_markdown_report_on_a_fixed_bug(
    loop_store: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "evidence.md"
    args = ["report", "--before", "run:before", "--after", "run:after", "--config", str(CONFIG)]
    assert main([*args, "--store", str(loop_store["store"]), "--out", str(out)]) == 0
    text = out.read_text()
    assert "**Verdict: IMPROVED**" in text
    assert "| gate | FAIL (tool_loops, steps) | PASS |" in text
    assert "| share of traces with a tool loop | 100.0% | 0.0% | -100.0 pts | improved |" in text
    # The three inputs ran on both sides: each pair is listed with its token change.
    changed = text.split("### Traces that changed most")[1].split("<details>")[0]
    assert changed.count("| `input:") == 3 and "→" in changed


def test_json_report(loop_store: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    args = ["report", "--before", "run:before", "--after", "run:after", "--config", str(CONFIG)]
    assert main([*args, "--store", str(loop_store["store"]), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == "agentotel.report/1" and data["verdict"] == "improved"
    assert data["gate"]["before"]["passed"] is False and data["gate"]["after"]["passed"] is True
    assert {"tool_loops", "steps"} <= set(data["gate"]["before"]["failed_evaluators"])
    loops = next(e for e in data["gate"]["before"]["evaluators"] if e["evaluator"] == "tool_loops")
    failure = loops["failures"][0]
    assert failure["trace_id"] and failure["span_id"]
    assert len(data["changed_traces"]) == 3
    assert all(p["after"]["tokens"] < p["before"]["tokens"] for p in data["changed_traces"])


def test_report_exits_1_when_the_after_side_is_worse(
    loop_store: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["report", "--before", "run:after", "--after", "run:before", "--config", str(CONFIG)]
    assert main([*args, "--store", str(loop_store["store"]), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["verdict"] == "regressed"


@pytest.mark.parametrize(
    ("extra", "code"),
    [(["--before", "run:nope", "--after", "run:after"], 1), (["--before", "x", "--after", "y"], 2)],
)
def test_report_bad_input(
    loop_store: dict[str, Any], capsys: pytest.CaptureFixture[str], extra: list[str], code: int
) -> None:
    assert main(["report", *extra, "--store", str(loop_store["store"])]) == code
    err = capsys.readouterr().err
    assert err.startswith("agentotel: ") and err.count("\n") == 1


def test_the_loop_example(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOTEL_"))}
    env.update(PYTHONPATH=str(ROOT / "src"), AGENTOTEL_STORE=str(tmp_path / "t.db"))
    done = subprocess.run(
        [sys.executable, str(EXAMPLE / "loop.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verdict: IMPROVED" in done.stdout
    assert "**Verdict: IMPROVED**" in done.stdout


def test_compare_pairs_inputs_and_checks_expectations(
    loop_store: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "compare",
        "--baseline",
        "run:before",
        "--candidate",
        "run:after",
        "--config",
        str(CONFIG),
    ]
    args += ["--store", str(loop_store["store"])]
    assert main([*args, "--expect", "improved"]) == 0
    out = capsys.readouterr().out
    assert "verdict: IMPROVED" in out and " P " in out.splitlines()[1]
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {m["metric"]: m for m in data["metrics"]}["tokens.total"]["p_value"] is not None
    assert data["by_tool"][0]["tool"] == "lookup_order"
    assert main([*args, "--expect", "improved", "--metric", "llm_error_rate"]) == 1
    err = capsys.readouterr().err
    assert err == "agentotel: expected improved, got unchanged\n"
    assert main([*args, "--expect", "not-regressed"]) == 0
