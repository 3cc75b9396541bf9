"""Create and cache one isolated virtual environment per peer (uv when it can be had, else pip)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from catalog import PEERS, SDKS, Peer

TOOLS = "_tools"
"""Venv holding uv and matplotlib for the harness itself; never the project's dependencies."""


def _run(cmd: list[str], log: Path) -> tuple[bool, str]:
    with log.open("a") as fh:
        fh.write("$ " + " ".join(cmd) + "\n")
        fh.flush()
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, text=True)
    if proc.returncode == 0:
        return True, ""
    tail = log.read_text().strip().splitlines()[-6:]
    return False, "\n".join(tail)


def _python(venv: Path) -> Path:
    return venv / "bin" / "python"


def tools(cache: Path) -> Path:
    """The tools venv (uv + matplotlib), created on first use."""
    venv = cache / TOOLS
    stamp = venv / ".ready"
    if not stamp.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(_python(venv)), "-m", "pip", "install", "-q", "uv", "matplotlib"], check=False
        )
        stamp.write_text("ok\n")
    return venv


def _uv(cache: Path) -> str | None:
    found = shutil.which("uv")
    if found:
        return found
    candidate = tools(cache) / "bin" / "uv"
    return str(candidate) if candidate.exists() else None


def requirements(peer: Peer, root: Path) -> list[str]:
    reqs = list(SDKS) + list(peer.packages)
    if peer.editable:
        reqs += ["-e", peer.editable.format(root=root)]
    return reqs


def ensure(peer: Peer, cache: Path, root: Path, python: str = sys.executable) -> dict[str, object]:
    """Make the peer's venv if its pinned spec changed; answer its status (ok, python, error)."""
    venv = cache / peer.name
    spec = json.dumps(
        {"reqs": requirements(peer, root), "no_deps": peer.no_deps, "py": python, "pyc": 1},
        sort_keys=True,
    )
    digest = hashlib.sha256(spec.encode()).hexdigest()[:16]
    status_file = venv / ".bench-status.json"
    if status_file.exists():
        status = json.loads(status_file.read_text())
        if status.get("digest") == digest:
            return dict(status)
    if venv.exists():
        shutil.rmtree(venv)
    cache.mkdir(parents=True, exist_ok=True)
    log = cache / f"{peer.name}.install.log"
    log.write_text("")
    uv = _uv(cache)
    errors: list[str] = []
    if uv:
        ok, err = _run([uv, "venv", "-q", "--python", python, str(venv)], log)
        # Precompiled bytecode: workers start in fresh processes, and some shells
        # set PYTHONDONTWRITEBYTECODE, which would recompile openai on every start.
        pip = [uv, "pip", "install", "-q", "--compile-bytecode", "--python", str(_python(venv))]
    else:
        ok, err = _run([python, "-m", "venv", str(venv)], log)
        pip = [str(_python(venv)), "-m", "pip", "install", "-q"]
    if not ok:
        errors.append(err)
    else:
        ok, err = _run([*pip, *requirements(peer, root)], log)
        if not ok:
            errors.append(err)
        for pkg in peer.no_deps:
            okd, errd = _run([*pip, "--no-deps", pkg], log)
            if not okd:
                errors.append(errd)
    status = {
        "digest": digest,
        "ok": not errors,
        "python": str(_python(venv)),
        "error": "\n".join(errors),
    }
    if venv.exists():
        status_file.write_text(json.dumps(status))
    return status


def freeze(python: str) -> dict[str, str]:
    """Installed distribution name -> version in the venv of `python`."""
    code = (
        "import json, importlib.metadata as m;"
        "print(json.dumps({d.metadata['Name'].lower(): d.version for d in m.distributions()}))"
    )
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    try:
        return dict(json.loads(out.stdout))
    except ValueError:
        return {}


def main() -> None:
    """Build every venv (or those named on the command line) and print their status."""
    root = Path(__file__).resolve().parents[2]
    cache = Path(os.environ.get("BENCH_VENVS", root / ".bench-venvs"))
    names = sys.argv[1:] or list(PEERS)
    for name in names:
        print(name, ensure(PEERS[name], cache, root), flush=True)


if __name__ == "__main__":
    main()
