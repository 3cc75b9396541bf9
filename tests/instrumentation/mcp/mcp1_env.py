"""A throwaway environment with mcp 1.x, layered over the dev venv, for the mcp 1.x test run.

The new venv holds only mcp 1.x and the few packages it needs that the dev venv lacks
(installed with ``--no-deps``); a ``.pth`` file then adds the dev venv's site-packages
behind it, so everything else (agentotel, OpenTelemetry, pytest) is shared.
``python -m tests.instrumentation.mcp.mcp1_env`` builds it and runs test_stdio.py in it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

MCP1 = "mcp==1.30.0"
EXTRA = ["httpx-sse", "pydantic-settings", "python-dotenv"]
ROOT = Path(__file__).resolve().parents[3]
STAMP = "agentotel-mcp1.ok"


def default_dir() -> Path:
    tag = f"py{sys.version_info.major}{sys.version_info.minor}"
    return Path(tempfile.gettempdir()) / "agentotel-test-cache" / f"mcp1-venv-{tag}"


def _python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure(venv: Path | None = None, timeout: float = 240) -> Path:
    """Build (once) and return the interpreter of the mcp 1.x venv. Raises on failure."""
    venv = venv or default_dir()
    python = _python(venv)
    stamp = venv / STAMP
    if stamp.exists() and stamp.read_text() == f"{MCP1} {sys.prefix}" and python.exists():
        return python
    subprocess.run(
        [sys.executable, "-m", "venv", "--clear", "--without-pip", str(venv)],
        check=True,
        timeout=timeout,
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            MCP1,
            *EXTRA,
        ],
        check=True,
        timeout=timeout,
    )
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    dev_site = sysconfig.get_paths()["purelib"]
    (Path(purelib) / "zz_agentotel_dev.pth").write_text(
        f"import site; site.addsitedir({dev_site!r})\n"
    )
    check = subprocess.run(
        [
            str(python),
            "-c",
            "from importlib.metadata import version; import mcp.shared.session; print(version('mcp'))",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if not check.stdout.strip().startswith("1."):
        raise RuntimeError(f"expected mcp 1.x in {venv}, got {check.stdout!r}")
    stamp.write_text(f"{MCP1} {sys.prefix}")
    return python


def run_tests(python: Path, *pytest_args: str) -> subprocess.CompletedProcess[str]:
    """Run test_stdio.py under the mcp 1.x interpreter."""
    env = dict(os.environ)
    env.pop("PYTEST_CURRENT_TEST", None)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "src")])
    return subprocess.run(
        [
            str(python),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(ROOT / "tests/instrumentation/mcp/test_stdio.py"),
            *pytest_args,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def main() -> int:
    python = ensure(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
    result = run_tests(python)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
