"""Run the official GenAI instrumentations' own test suites against agentotel.

For each suite: download the official package's sdist from the package index
(``pip download --no-deps --no-binary :all:``), extract its tests and
cassettes, and run them with pytest, vcrpy replaying the cassettes, after
``harness/agentotel_conformance.py`` has swapped in agentotel's instrumentor.
``harness/opentelemetry/test_util_genai`` stands in for the official repo's
unpublished test helpers.

The job fails on any failing test that ``expected-failures.txt`` does not list,
and on any listed test that passes, so the list stays honest.

    python conformance/run.py [--suite openai|anthropic] [--opt-in] [--write-failures]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = ROOT / ".conformance"
VERSION = "1.3b0"
SUITES = {
    "openai": "opentelemetry-instrumentation-genai-openai",
    "anthropic": "opentelemetry-instrumentation-genai-anthropic",
}
OPT_IN = "gen_ai_latest_experimental"
EXPECTED = HERE / "expected-failures.txt"


def fetch(package: str) -> Path:
    """The extracted sdist of ``package`` at ``VERSION``, downloaded on first use."""
    stem = f"{package.replace('-', '_')}-{VERSION}"
    target = WORK / stem
    if (target / "tests").is_dir():
        return target
    WORK.mkdir(exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
         f"{package}=={VERSION}", "-d", str(WORK)],
        check=True,
    )
    with tarfile.open(WORK / f"{stem}.tar.gz") as archive:
        archive.extractall(WORK, filter="data")
    return target


def load_expected() -> dict[str, tuple[str, str]]:
    """``{"suite[@opt-in] test-id": (category, reason)}`` from ``expected-failures.txt``."""
    expected: dict[str, tuple[str, str]] = {}
    for number, line in enumerate(EXPECTED.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split(" | ")]
        if len(fields) != 3 or not all(fields):
            raise SystemExit(f"{EXPECTED.name}:{number}: want 'suite test-id | category | reason'")
        key, category, reason = fields
        if key in expected:
            raise SystemExit(f"{EXPECTED.name}:{number}: {key} listed twice")
        expected[key] = (category, reason)
    return expected


def run_suite(suite: str, opt_in: bool) -> dict[str, str]:
    """Run one suite; return ``{test-id: outcome}``."""
    source = fetch(SUITES[suite])
    results = WORK / f"results-{suite}{'-opt-in' if opt_in else ''}.json"
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join([str(HERE / "harness"), str(source / "src")]),
        AGENTOTEL_CONFORMANCE_SUITE=suite,
        AGENTOTEL_CONFORMANCE_RESULTS=str(results),
        AGENTOTEL_STRICT="1",
    )
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"):
        env.pop(name, None)
    if opt_in:
        env["OTEL_SEMCONV_STABILITY_OPT_IN"] = OPT_IN
    else:
        env.pop("OTEL_SEMCONV_STABILITY_OPT_IN", None)
    subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "-q", "-p", "agentotel_conformance",
         "-p", "no:cacheprovider", "-c", str(HERE / "harness" / "pytest.ini"),
         f"--rootdir={source}", "--vcr-record=none", "--tb=line", "-rN"],
        cwd=source, env=env, check=False, stdout=subprocess.DEVNULL if not os.environ.get(
            "CONFORMANCE_VERBOSE") else None,
    )
    if not results.exists():
        raise SystemExit(f"{suite}: pytest did not run (see its output above)")
    outcomes: dict[str, str] = json.loads(results.read_text(encoding="utf-8"))
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", choices=sorted(SUITES), action="append")
    parser.add_argument("--opt-in", action="store_true", help=f"also run with {OPT_IN}")
    parser.add_argument("--write-failures", type=Path, help="write the failing ids here")
    args = parser.parse_args()
    expected = load_expected()
    variants = [(s, False) for s in args.suite or sorted(SUITES)]
    if args.opt_in:
        variants += [(s, True) for s in args.suite or sorted(SUITES)]
    started = time.monotonic()
    unexpected: list[str] = []
    failing: list[str] = []
    seen: set[str] = set()
    for suite, opt_in in variants:
        label = f"{suite}@opt-in" if opt_in else suite
        t0 = time.monotonic()
        outcomes = run_suite(suite, opt_in)
        counts = {k: list(outcomes.values()).count(k) for k in ("passed", "failed", "skipped")}
        listed = 0
        for test_id, outcome in sorted(outcomes.items()):
            # An entry for "suite" covers both variants; "suite@opt-in" only the opt-in run.
            key = f"{label} {test_id}" if f"{label} {test_id}" in expected else f"{suite} {test_id}"
            seen.add(key)
            if outcome == "failed":
                failing.append(f"{label} {test_id}")
                if key in expected:
                    listed += 1
                else:
                    unexpected.append(f"FAILED (not listed): {label} {test_id}")
            elif outcome == "passed" and key in expected:
                unexpected.append(f"PASSED (listed as expected failure): {key}")
        print(
            f"{label}: {counts['passed']} passed, {counts['failed']} failed "
            f"({listed} expected), {counts['skipped']} skipped, {time.monotonic() - t0:.1f} s"
        )
    suites_run = {s for s, _ in variants}
    stale = [k for k in expected if k.split("@")[0].split(" ")[0] in suites_run and k not in seen
             and (args.opt_in or "@opt-in" not in k)]
    unexpected += [f"LISTED BUT NOT RUN: {k}" for k in stale]
    if args.write_failures:
        args.write_failures.write_text("\n".join(failing) + "\n", encoding="utf-8")
    for line in unexpected:
        print(line)
    print(f"conformance: {len(unexpected)} problems, {time.monotonic() - started:.1f} s in all")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
