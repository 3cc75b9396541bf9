"""Run identity: run id, commit and dirty flag as resource attributes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agentotel import _resource, semconv

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=cwd, check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip


def test_run_id_comes_from_the_environment_or_is_fixed_per_process() -> None:
    assert _resource.run_id({"AGENTOTEL_RUN_ID": "abc"}) == "abc"
    first = _resource.run_id({})
    assert first == _resource.run_id({}) and first != "abc"
    assert _resource.new_run_id() != _resource.new_run_id()


def test_each_process_gets_its_own_run_id() -> None:
    code = "from agentotel import _resource; print(_resource.run_id({}))"
    ids = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
        for _ in range(2)
    }
    assert len(ids) == 2


def test_outside_git_only_the_run_id(tmp_path: Path) -> None:
    attrs = _resource.run_resource_attributes({"AGENTOTEL_RUN_ID": "r"}, cwd=tmp_path)
    assert attrs == {semconv.AGENTOTEL_RUN_ID: "r"}


@needs_git
def test_commit_and_dirty_flag_in_a_checkout(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("one")
    _git(tmp_path, "add", "a.txt")
    _git(tmp_path, "commit", "-q", "-m", "first")
    head = _git(tmp_path, "rev-parse", "HEAD")
    sub = tmp_path / "pkg"
    sub.mkdir()
    attrs = _resource.vcs_attributes(sub)
    assert attrs == {semconv.VCS_REF_HEAD_REVISION: head, semconv.AGENTOTEL_VCS_DIRTY: False}
    (tmp_path / "a.txt").write_text("two")
    assert _resource.vcs_attributes(tmp_path)[semconv.AGENTOTEL_VCS_DIRTY] is True


@needs_git
def test_packed_refs_and_detached_head(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("one")
    _git(tmp_path, "add", "a.txt")
    _git(tmp_path, "commit", "-q", "-m", "first")
    head = _git(tmp_path, "rev-parse", "HEAD")
    _git(tmp_path, "pack-refs", "--all")
    assert _resource.vcs_attributes(tmp_path)[semconv.VCS_REF_HEAD_REVISION] == head
    _git(tmp_path, "checkout", "-q", "--detach")
    assert _resource.vcs_attributes(tmp_path)[semconv.VCS_REF_HEAD_REVISION] == head


def test_broken_git_metadata_never_fails(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # no HEAD file at all
    assert _resource.vcs_attributes(tmp_path) == {}
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/unborn\n")
    assert _resource.vcs_attributes(tmp_path) == {}
