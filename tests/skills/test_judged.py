"""Evaluations that judge outputs: dataset cases, tool-selection accuracy and the LLM judge,
on real runs of the example support agent, the judge served by the scripted model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agentotel import query
from agentotel.cli import main
from agentotel.evals import source
from agentotel.evals.cases import load_cases
from agentotel.evals.config import Selection
from agentotel.evals.errors import ConfigError
from agentotel.testing import Reply, ScriptedModel, ScriptedModelServer
from tests.skills.conftest import ROOT

CASES = [
    {
        "id": "1042",
        "input": "Where is my order 1042?",
        "expect": {
            "tool_sequence": ["lookup_order"],
            "answer_contains": ["shipped"],
            "max_steps": 3,
        },
    },
    {
        "id": "1043",
        "input": "Has order 1043 shipped yet?",
        "expect": {"tools": ["lookup_order"], "answer_matches": "packing"},
    },
    {
        "id": "1044",
        "input": "What is the status of order 1044?",
        "expect": {"tool_sequence": ["lookup_order", "send_survey"]},
    },
]


def _eval(
    store: Path, config: Path, *args: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, Any]]:
    code = main(
        ["eval", "--store", str(store), "--config", str(config), "--json", "--no-record", *args]
    )
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in CASES) + "\n")
    return path


def test_cases_catch_a_wrong_tool_sequence(
    loop_store: dict[str, Any], dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "agentotel.toml"
    config.write_text(
        '[eval.expectations]\ncases = "cases.jsonl"\n\n[eval.tool_selection]\ncases = "cases.jsonl"\nmin_accuracy = 0.6\n'
    )
    code, report = _eval(
        loop_store["store"],
        config,
        "--run",
        "after",
        "-e",
        "expectations",
        "-e",
        "tool_selection",
        capsys=capsys,
    )
    assert code == 1
    results = {
        r["subject"]: r
        for e in report["evaluations"]
        if e["evaluator"] == "expectations"
        for r in e["details"]
    }
    assert results["1042"]["passed"] and results["1043"]["passed"]
    assert not results["1044"]["passed"]
    assert "expected the sequence ['lookup_order', 'send_survey']" in results["1044"]["explanation"]
    assert results["1044"]["trace_id"] and results["1044"]["span_id"]
    (selection,) = next(e for e in report["evaluations"] if e["evaluator"] == "tool_selection")[
        "details"
    ]
    assert selection["passed"] and selection["details"]["accuracy"] == round(2 / 3, 4)
    assert selection["details"]["wrong"] == ["1044"]
    # The looping run calls lookup_order 8 times: every sequence case fails there.
    code, report = _eval(
        loop_store["store"], config, "--run", "before", "-e", "expectations", capsys=capsys
    )
    failed = {r["subject"] for r in report["evaluations"][0]["details"] if not r["passed"]}
    assert code == 1 and {"1042", "1044"} <= failed


def test_toml_dataset_and_bad_datasets(tmp_path: Path) -> None:
    toml = tmp_path / "cases.toml"
    toml.write_text(
        '[[case]]\nid = "a"\ninput = "hi"\n[case.expect]\nrequired_tools = ["x"]\nforbidden_tools = ["y"]\n'
    )
    (case,) = load_cases(toml)
    assert case.id == "a" and case.expect == {"required_tools": ["x"], "forbidden_tools": ["y"]}
    bad = tmp_path / "bad.jsonl"
    for text, message in (
        ('{"id": "a", "expect": {"tool_seq": []}}', "unknown expectation 'tool_seq'"),
        ('{"id": "a"}\n{"id": "a"}', "appears twice"),
        ("{not json", "bad.jsonl:1: not valid JSON"),
        ('{"id": "a", "expect": {"answer_matches": "("}}', "not a regular expression"),
        ("", "no cases"),
    ):
        bad.write_text(text)
        with pytest.raises(ConfigError, match=message):
            load_cases(bad)


def _judge_server(score_for: Any) -> ScriptedModelServer:
    def reply(body: dict[str, Any], api: str) -> Reply:
        prompt = body["messages"][-1]["content"]
        answer = prompt.split("Agent answer:\n", 1)[1]
        return Reply(json.dumps({"score": score_for(answer), "reasoning": f"judged {answer[:20]}"}))

    return ScriptedModelServer(ScriptedModel(reply))


def _judge_config(tmp_path: Path, server: ScriptedModelServer, threshold: float = 0.5) -> Path:
    config = tmp_path / "judge.toml"
    config.write_text(
        "[eval.judge]\n"
        'model = "judge-mini"\n'
        f'base_url = "{server.openai_base_url}"\n'
        'rubric = "The answer states the order status the tool returned."\n'
        f"threshold = {threshold}\n"
        f'cache = "{tmp_path / "cache.json"}"\n'
    )
    return config


def test_a_judge_that_passes_and_one_that_fails(
    loop_store: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with _judge_server(lambda answer: 0.9) as server:
        config = _judge_config(tmp_path, server)
        code, report = _eval(
            loop_store["store"], config, "--run", "after", "-e", "judge", capsys=capsys
        )
        assert code == 0
        details = report["evaluations"][0]["details"]
        assert len(details) == 3 and all(d["score"] == 0.9 for d in details)
        assert all(d["details"]["reasoning"].startswith("judged Order") for d in details)
        assert len(server.requests) == 3
        # Cached by input: judging again asks the model nothing.
        code, report = _eval(
            loop_store["store"], config, "--run", "after", "-e", "judge", capsys=capsys
        )
        assert code == 0 and len(server.requests) == 3
        assert all(d["details"]["cached"] for d in report["evaluations"][0]["details"])
    strict = tmp_path / "strict"
    strict.mkdir()
    with _judge_server(lambda answer: 0.9 if "shipped" in answer else 0.1) as server:
        code, report = _eval(
            loop_store["store"],
            _judge_config(strict, server),
            "--run",
            "after",
            "-e",
            "judge",
            capsys=capsys,
        )
        assert code == 1
        scores = sorted(d["score"] for d in report["evaluations"][0]["details"])
        assert scores == [0.1, 0.1, 0.9]
        assert "score 0.10 (threshold 0.50)" in report["evaluations"][0]["details"][0][
            "explanation"
        ] or any("score 0.10" in d["explanation"] for d in report["evaluations"][0]["details"])


def test_judge_without_content_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "t.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOTEL_"))}
    env.update(
        AGENTOTEL_STORE=str(store),
        PYTHONPATH=str(ROOT / "src"),
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT="false",
    )
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    with _judge_server(lambda answer: 1.0) as server:
        code, report = _eval(store, _judge_config(tmp_path, server), "-e", "judge", capsys=capsys)
        assert not server.requests
    (result,) = report["evaluations"][0]["details"]
    assert (
        code == 1 and "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT" in result["explanation"]
    )


def test_judge_calls_are_traced_but_never_judged(
    loop_store: dict[str, Any], tmp_path: Path
) -> None:
    store = tmp_path / "copy.db"
    store.write_bytes(Path(loop_store["store"]).read_bytes())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "AGENTOTEL_"))}
    env.update(AGENTOTEL_STORE=str(store), PYTHONPATH=str(ROOT / "src"), NO_COLOR="1")
    with _judge_server(lambda answer: 0.9) as server:
        config = _judge_config(tmp_path, server)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "agentotel.cli",
                "run",
                "--",
                sys.executable,
                "-m",
                "agentotel.cli",
                "eval",
                "--run",
                "after",
                "-e",
                "judge",
                "--config",
                str(config),
                "--no-record",
            ],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    with query.open(store) as q:
        judged = [
            t for t in q.traces(limit=100) if t.root_name == "invoke_workflow agentotel.judge"
        ]
        assert len(judged) == 3 and all(t.llm_calls == 1 for t in judged)
        traces, _ = source.from_store(q, Selection(limit=100))
    assert {t.trace_id for t in traces}.isdisjoint({t.trace_id for t in judged})
