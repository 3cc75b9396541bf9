"""The shipped skills: their format, their installation, and every command they show."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest

from agentotel.cli import main
from agentotel.skills import TARGETS, install, load, skills
from agentotel.skills.install import BEGIN, END
from tests.skills.conftest import CONFIG

EXPECTED = {
    "ci-gate",
    "diagnose-failed-run",
    "find-tool-loop",
    "latency-regression",
    "prompt-change",
    "verify-fix",
}
# Commands that gate: exit 1 is their answer ("the gate failed"), not an error.
GATES = ("eval", "report", "compare")


def test_catalog() -> None:
    found = skills()
    assert {s.slug for s in found} == EXPECTED
    for s in found:
        assert s.name == f"agentotel-{s.slug}"
        assert 20 < len(s.description) < 300 and "\n" not in s.description
        assert s.body.lstrip().startswith("# ")
        assert len(s.commands()) >= 2, s.slug
        assert s.text.startswith(f"---\nname: {s.name}\ndescription: ")
    assert load("find-tool-loop") is not None and load("agentotel-ci-gate").slug == "ci-gate"
    with pytest.raises(LookupError):
        load("nope")


def _substitute(command: str, values: dict[str, str]) -> list[str]:
    for key, value in values.items():
        command = command.replace(key, value)
    assert "$" not in command, f"unresolved placeholder in {command!r}"
    return shlex.split(command)[1:]  # drop "agentotel"


@pytest.mark.parametrize("slug", sorted(EXPECTED))
def test_every_command_works_on_a_real_store(
    slug: str,
    loop_store: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AGENTOTEL_STORE", str(loop_store["store"]))
    monkeypatch.setenv("NO_COLOR", "1")
    commit = loop_store["commit"]
    values = {
        "$TRACE": loop_store["trace"][:12],
        "$BEFORE": "before",
        "$AFTER": "after",
        # Both runs come from the same checkout; without git, fall back to the runs.
        "commit:$BASE_SHA": f"commit:{commit}" if commit else "run:before",
        "commit:$HEAD_SHA": f"commit:{commit}" if commit else "run:after",
    }
    commands = load(slug).commands()
    for command in commands:
        argv = _substitute(command, values)
        if argv[0] in ("eval", "compare", "report") and "--config" not in argv:
            argv += ["--config", str(CONFIG)]
        code = main(argv)
        captured = capsys.readouterr()
        allowed = (0, 1) if argv[0] in GATES else (0,)
        assert code in allowed, f"{command!r} exited {code}: {captured.err}"
        assert "Traceback" not in captured.err, command
        if code == 0 and argv[0] not in ("report",) and "--out" not in argv:
            assert captured.out.strip(), f"{command!r} printed nothing"
    if slug == "verify-fix":
        assert "Verdict: IMPROVED" in (tmp_path / "evidence.md").read_text()


@pytest.mark.parametrize("target", TARGETS)
def test_install_targets(target: str, tmp_path: Path) -> None:
    written = install(target, tmp_path)
    assert len(written) == len(EXPECTED) + (1 if target == "agents" else 0)
    if target == "claude":
        skill = tmp_path / ".claude" / "skills" / "agentotel-find-tool-loop" / "SKILL.md"
        assert skill.read_text().startswith("---\nname: agentotel-find-tool-loop\n")
    elif target == "cursor":
        rule = (tmp_path / ".cursor" / "rules" / "agentotel-ci-gate.mdc").read_text()
        assert rule.startswith("---\ndescription: ") and "alwaysApply: false" in rule
    elif target == "dir":
        assert (tmp_path / "agentotel-verify-fix" / "SKILL.md").is_file()
    else:
        agents = (tmp_path / "AGENTS.md").read_text()
        assert agents.count(BEGIN) == 1 and ".agentotel/skills/find-tool-loop.md" in agents
    # Installing again is harmless; a file changed by the user is kept unless --force.
    assert install(target, tmp_path) == written
    written[0].write_text("mine\n")
    with pytest.raises(FileExistsError):
        install(target, tmp_path)
    install(target, tmp_path, force=True)
    assert written[0].read_text() != "mine\n"


def test_agents_section_keeps_the_rest_of_the_file(tmp_path: Path) -> None:
    agents = tmp_path / "AGENTS.md"
    agents.write_text("# Project\n\nBuild with make.\n")
    install("agents", tmp_path)
    install("agents", tmp_path, names=["find-tool-loop"])
    text = agents.read_text()
    assert text.startswith("# Project\n\nBuild with make.\n\n")
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    assert "find-tool-loop.md" in text and "ci-gate.md" not in text


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["skills", "list"]) == 0
    assert "find-tool-loop" in capsys.readouterr().out
    assert main(["skills", "show", "ci-gate"]) == 0
    assert capsys.readouterr().out.startswith("---\nname: agentotel-ci-gate")
    assert main(["skills", "install", "--target", "claude", "--dir", str(tmp_path)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(EXPECTED)
    for argv in (
        ["skills", "show", "nope"],
        ["skills", "install", "--skill", "nope", "--dir", str(tmp_path)],
    ):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert err.startswith("agentotel: no skill") and err.count("\n") == 1
