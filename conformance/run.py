"""Run the official GenAI instrumentations' own test suites against agentotel.

For each suite: download the official package's sdist from the package index
(``pip download --no-deps --no-binary :all:``), extract its tests and
cassettes, and run them with pytest, vcrpy replaying the cassettes, after
``harness/agentotel_conformance.py`` has swapped in agentotel's instrumentor.
``harness/opentelemetry/test_util_genai`` stands in for the official repo's
unpublished test helpers.

Each suite runs twice: with ``OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental``
("opt-in": the official 1.3b0 packages always emit the experimental names, so
this is the like-for-like run) and without it ("default": agentotel keeps the
released names). The job fails on any failing test that ``expected-failures.txt``
does not list for that run, and on any listed test that passes, so the list
stays honest.

    python conformance/run.py [--suite openai|anthropic]... [--mode opt-in|default]...
                              [--control] [--report FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = ROOT / ".conformance"
VERSION = "1.3b0"
SUITES = {
    "openai": "opentelemetry-instrumentation-genai-openai",
    "anthropic": "opentelemetry-instrumentation-genai-anthropic",
}
MODES = ("opt-in", "default")
OPT_IN = "gen_ai_latest_experimental"
EXPECTED = HERE / "expected-failures.txt"
CATEGORIES = {"upstream-internals", "deliberate", "open"}


def fetch(package: str) -> Path:
    """The extracted sdist of ``package`` at ``VERSION``, downloaded on first use."""
    stem = f"{package.replace('-', '_')}-{VERSION}"
    target = WORK / stem
    if (target / "tests").is_dir():
        return target
    WORK.mkdir(exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--no-binary",
            ":all:",
            f"{package}=={VERSION}",
            "-d",
            str(WORK),
        ],
        check=True,
    )
    with tarfile.open(WORK / f"{stem}.tar.gz") as archive:
        archive.extractall(WORK, filter="data")
    return target


def load_expected() -> dict[str, tuple[str, str]]:
    """``{"suite[@mode] test-id": (category, reason)}`` from ``expected-failures.txt``."""
    expected: dict[str, tuple[str, str]] = {}
    for number, line in enumerate(EXPECTED.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split(" | ")]
        if len(fields) != 3 or not all(fields) or fields[1] not in CATEGORIES:
            raise SystemExit(
                f"{EXPECTED.name}:{number}: want 'suite[@mode] test-id | category | reason'"
            )
        key, category, reason = fields
        if key in expected:
            raise SystemExit(f"{EXPECTED.name}:{number}: {key} listed twice")
        expected[key] = (category, reason)
    return expected


def run_suite(suite: str, mode: str, control: bool) -> dict[str, dict[str, str]]:
    """Run one suite in one mode; return ``{test-id: {"outcome": ..., "message": ...}}``."""
    source = fetch(SUITES[suite])
    results = WORK / f"results-{suite}-{mode}{'-control' if control else ''}.json"
    results.unlink(missing_ok=True)
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join([str(HERE / "harness"), str(source / "src")]),
        AGENTOTEL_CONFORMANCE_SUITE=suite,
        AGENTOTEL_CONFORMANCE_RESULTS=str(results),
        AGENTOTEL_STRICT="1",
    )
    for name in (
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "AGENTOTEL_CONFORMANCE_CONTROL",
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
        "OTEL_SEMCONV_STABILITY_OPT_IN",
    ):
        env.pop(name, None)
    if control:
        env["AGENTOTEL_CONFORMANCE_CONTROL"] = "1"
    if mode == "opt-in":
        env["OTEL_SEMCONV_STABILITY_OPT_IN"] = OPT_IN
    verbose = bool(os.environ.get("CONFORMANCE_VERBOSE"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests",
            "-q",
            "-p",
            "agentotel_conformance",
            "-p",
            "no:cacheprovider",
            "-c",
            str(HERE / "harness" / "pytest.ini"),
            f"--rootdir={source}",
            "--vcr-record=none",
            "--tb=short" if verbose else "--tb=no",
        ],
        cwd=source,
        env=env,
        check=False,
        stdout=None if verbose else subprocess.DEVNULL,
        stderr=None if verbose else subprocess.DEVNULL,
    )
    if not results.exists():
        raise SystemExit(f"{suite} ({mode}): pytest did not run; rerun with CONFORMANCE_VERBOSE=1")
    outcomes: dict[str, dict[str, str]] = json.loads(results.read_text(encoding="utf-8"))
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--suite", choices=sorted(SUITES), action="append")
    parser.add_argument("--mode", choices=MODES, action="append")
    parser.add_argument(
        "--control",
        action="store_true",
        help="run the official instrumentor itself (checks the harness: all pass)",
    )
    parser.add_argument("--report", type=Path, help="write every failure and its message here")
    args = parser.parse_args()
    expected = {} if args.control else load_expected()
    variants = [(s, m) for m in args.mode or MODES for s in args.suite or sorted(SUITES)]
    started = time.monotonic()
    # Two at a time: each run is mostly one busy CPU.
    with ThreadPoolExecutor(max_workers=2) as pool:
        timed = list(pool.map(lambda v: _timed(run_suite, v[0], v[1], args.control), variants))
    problems: list[str] = []
    report: list[str] = []
    for (suite, mode), (outcomes, seconds) in zip(variants, timed):
        counts = {"passed": 0, "failed": 0, "skipped": 0}
        listed = 0
        for test_id, result in sorted(outcomes.items()):
            outcome = result["outcome"]
            counts[outcome] += 1
            key = next(
                (k for k in (f"{suite}@{mode} {test_id}", f"{suite} {test_id}") if k in expected),
                None,
            )
            if outcome == "failed":
                report.append(f"{suite}@{mode} {test_id} | {result.get('message', '')}")
                if key is not None:
                    listed += 1
                else:
                    problems.append(
                        f"FAILED, not listed: {suite}@{mode} {test_id}: {result.get('message', '')}"
                    )
            elif outcome == "passed" and key is not None:
                problems.append(f"PASSED, but listed as an expected failure: {key} ({mode} run)")
        print(
            f"{suite} ({mode}): {counts['passed']} passed, {counts['failed']} failed "
            f"({listed} listed), {counts['skipped']} skipped, {seconds:.0f} s"
        )
        ran = set(outcomes)
        for key in expected:
            name, _, test_id = key.partition(" ")
            if name in (suite, f"{suite}@{mode}") and test_id not in ran:
                problems.append(f"LISTED, but no such test ran: {key}")
    if args.report:
        args.report.write_text("\n".join(report) + "\n", encoding="utf-8")
    for line in sorted(set(problems)):
        print(line)
    by_category: dict[str, int] = {}
    for category, _ in expected.values():
        by_category[category] = by_category.get(category, 0) + 1
    print(f"expected failures listed: {len(expected)} {by_category}")
    print(
        f"conformance: {'FAILED' if problems else 'ok'}, {len(problems)} problems, "
        f"{time.monotonic() - started:.0f} s"
    )
    return 1 if problems else 0


def _timed(fn, *args):  # type: ignore[no-untyped-def]
    t0 = time.monotonic()
    return fn(*args), time.monotonic() - t0


if __name__ == "__main__":
    sys.exit(main())
