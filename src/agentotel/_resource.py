"""Run identity: the resource attributes that let traces be grouped by run and by commit.

Every process gets a run id (``AGENTOTEL_RUN_ID`` when set, so that the
subprocesses ``agentotel run`` starts share their parent's; otherwise a fresh
one). Inside a git checkout the commit and a dirty flag are added. Nothing here
may fail: a missing ``git`` or an odd repository just leaves attributes out.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from agentotel import semconv

RUN_ID_ENV = "AGENTOTEL_RUN_ID"
_GIT_TIMEOUT_S = 1.0

_lock = threading.Lock()
_process_run_id: str | None = None


def new_run_id() -> str:
    """A fresh run id: UTC start time then random hex, so ids sort by time and stay unique."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return f"{stamp}-{secrets.token_hex(3)}"


def run_id(env: Mapping[str, str] | None = None) -> str:
    """This process's run id: ``AGENTOTEL_RUN_ID`` if set, else one generated once per process."""
    global _process_run_id
    env = os.environ if env is None else env
    explicit = env.get(RUN_ID_ENV, "").strip()
    if explicit:
        return explicit
    with _lock:
        if _process_run_id is None:
            _process_run_id = new_run_id()
        return _process_run_id


def _git_dir(start: Path) -> Path | None:
    """The ``.git`` directory of the checkout containing ``start`` (worktree files followed)."""
    for folder in (start, *start.parents):
        candidate = folder / ".git"
        if candidate.is_dir():
            return candidate
        if candidate.is_file():
            # A worktree or submodule: ".git" is a file saying "gitdir: <path>".
            text = candidate.read_text(encoding="utf-8", errors="replace").strip()
            if text.startswith("gitdir:"):
                target = Path(text[len("gitdir:") :].strip())
                return target if target.is_absolute() else (folder / target).resolve()
            return None
    return None


def _common_dir(git_dir: Path) -> Path:
    common = git_dir / "commondir"
    if common.is_file():
        rel = Path(common.read_text(encoding="utf-8").strip())
        return rel if rel.is_absolute() else (git_dir / rel).resolve()
    return git_dir


def _read_head(git_dir: Path) -> str | None:
    """Resolve HEAD to a commit hash by reading files, without running git."""
    head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
    if not head.startswith("ref:"):
        return head.lower() or None
    ref = head[len("ref:") :].strip()
    for base in (git_dir, _common_dir(git_dir)):
        loose = base / ref
        if loose.is_file():
            return loose.read_text(encoding="utf-8").strip().lower() or None
    packed = _common_dir(git_dir) / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(encoding="utf-8").splitlines():
            parts = line.split(" ", 1)
            if len(parts) == 2 and parts[1].strip() == ref:
                return parts[0].strip().lower()
    return None  # an unborn branch: no commit yet


def _dirty(worktree: Path) -> bool | None:
    """True when tracked files have uncommitted changes; None when git cannot say quickly."""
    try:
        done = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=worktree,
            capture_output=True,
            timeout=_GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return bool(done.stdout.strip())


def vcs_attributes(cwd: str | os.PathLike[str] | None = None) -> dict[str, str | bool]:
    """Commit and dirty flag of the git checkout around ``cwd`` (empty outside one)."""
    out: dict[str, str | bool] = {}
    try:
        start = Path(cwd if cwd is not None else os.getcwd()).resolve()
        git_dir = _git_dir(start)
        if git_dir is None:
            return out
        revision = _read_head(git_dir)
        if revision:
            out[semconv.VCS_REF_HEAD_REVISION] = revision
            dirty = _dirty(start)
            if dirty is not None:
                out[semconv.AGENTOTEL_VCS_DIRTY] = dirty
    except Exception:  # never fail the host over version-control trivia
        return out
    return out


def run_resource_attributes(
    env: Mapping[str, str] | None = None, cwd: str | os.PathLike[str] | None = None
) -> dict[str, str | bool]:
    """Resource attributes identifying this run: run id, plus commit and dirty flag in git."""
    attrs: dict[str, str | bool] = {semconv.AGENTOTEL_RUN_ID: run_id(env)}
    attrs.update(vcs_attributes(cwd))
    return attrs
