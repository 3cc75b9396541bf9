"""Cases with expectations: a dataset of inputs and what the agent should do with them.

A dataset is a JSONL file (one case per line) or a TOML file (``[[case]]`` tables)::

    {"id": "late-1042", "input": "Where is my order 1042?",
     "expect": {"tool_sequence": ["lookup_order"], "answer_contains": ["shipped"], "max_steps": 4}}

Each case is matched to the newest trace that ran it: the root span's
``agentotel.case.id`` when the application set it, else the trace's first user message
(content capture) equal to the case's ``input`` after normalising case and spaces.
Two evaluators read datasets: ``expectations`` checks every expectation of every case,
``tool_selection`` scores how often the agent picked the expected tools.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentotel import semconv
from agentotel.evals.builtin import TRACES, Context, Evaluator
from agentotel.evals.errors import ConfigError
from agentotel.evals.model import Result, TraceData
from agentotel.evals.options import Options

EXPECT_KEYS = (
    "tools",
    "tool_sequence",
    "required_tools",
    "forbidden_tools",
    "answer_contains",
    "answer_matches",
    "answer_equals",
    "max_steps",
)


@dataclass(frozen=True)
class Case:
    """One input and what should happen."""

    id: str
    input: str | None = None
    expect: dict[str, Any] = field(default_factory=dict)


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def _case(raw: Any, where: str) -> Case:
    if not isinstance(raw, dict):
        raise ConfigError(where, "a case must be a table/object")
    unknown = set(raw) - {"id", "input", "expect"}
    if unknown:
        raise ConfigError(where, f"unknown key {sorted(unknown)[0]!r} (id, input, expect)")
    expect = raw.get("expect") or {}
    if not isinstance(expect, dict):
        raise ConfigError(where, "expect must be a table/object")
    bad = set(expect) - set(EXPECT_KEYS)
    if bad:
        raise ConfigError(
            where, f"unknown expectation {sorted(bad)[0]!r} ({', '.join(EXPECT_KEYS)})"
        )
    for key in ("tools", "tool_sequence", "required_tools", "forbidden_tools", "answer_contains"):
        value = expect.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            raise ConfigError(where, f"{key} must be a list of strings")
    if "answer_matches" in expect:
        try:
            re.compile(str(expect["answer_matches"]))
        except re.error as exc:
            raise ConfigError(where, f"answer_matches is not a regular expression: {exc}") from None
    steps = expect.get("max_steps")
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 1):
        raise ConfigError(where, "max_steps must be a positive integer")
    case_id, text = raw.get("id"), raw.get("input")
    if case_id is None and text is None:
        raise ConfigError(where, "a case needs an id or an input")
    return Case(
        str(case_id if case_id is not None else text), None if text is None else str(text), expect
    )


def load_cases(path: str | Path) -> list[Case]:
    """Read a JSONL or TOML dataset; raises ConfigError naming the line or case at fault."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(file), f"cannot read the dataset: {exc.strerror or exc}") from None
    cases: list[Case] = []
    if file.suffix == ".toml":
        from agentotel.evals.config import read_toml

        data = read_toml(file)
        for n, raw in enumerate(data.get("case", []), 1):
            cases.append(_case(raw, f"{file}: case {n}"))
    else:
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                raw = json.loads(line)
            except ValueError as exc:
                raise ConfigError(f"{file}:{n}", f"not valid JSON: {exc}") from None
            cases.append(_case(raw, f"{file}:{n}"))
    ids = [c.id for c in cases]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ConfigError(str(file), f"case id {sorted(dupes)[0]!r} appears twice")
    if not cases:
        raise ConfigError(str(file), "the dataset holds no cases")
    return cases


def _texts(raw: Any, role: str | None) -> list[str]:
    """Text parts of captured messages (a JSON string on spans), optionally of one role."""
    try:
        messages = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return []
    out = []
    for m in messages if isinstance(messages, list) else ():
        if not isinstance(m, dict) or (role is not None and m.get("role") != role):
            continue
        for p in m.get("parts") or ():
            if (
                isinstance(p, dict)
                and p.get("type") == "text"
                and isinstance(p.get("content"), str)
            ):
                out.append(p["content"])
    return out


def trace_input(trace: TraceData) -> str | None:
    """The first user message the trace's first model call (or its root) received."""
    for span in [trace.root, *trace.model_turns]:
        found = _texts(span.attributes.get(semconv.GEN_AI_INPUT_MESSAGES), "user")
        if found:
            return found[0]
    return None


def trace_answer(trace: TraceData) -> str | None:
    """The final answer: the root's captured output, else the last model call's text."""
    for span in [trace.root, *reversed(trace.model_turns)]:
        raw = span.attributes.get(semconv.GEN_AI_OUTPUT_MESSAGES)
        if raw is None:
            continue
        found = _texts(raw, None)
        if found:
            return "\n".join(found)
        if isinstance(raw, str) and span is trace.root:
            try:
                value = json.loads(raw)
            except ValueError:
                return raw
            return value if isinstance(value, str) else None
    return None


def tool_sequence(trace: TraceData) -> list[str]:
    return [s.tool_name or s.name for s in sorted(trace.tool_calls, key=lambda s: s.start_ns)]


def match(cases: Sequence[Case], traces: Sequence[TraceData]) -> dict[str, TraceData]:
    """Case id -> the newest trace that ran it (by case id attribute, else by input)."""
    by_input = {_normal(c.input): c.id for c in cases if c.input is not None}
    ids = {c.id for c in cases}
    found: dict[str, TraceData] = {}
    for trace in sorted(traces, key=lambda t: t.start_ns, reverse=True):
        key = trace.root.attributes.get(semconv.AGENTOTEL_CASE_ID)
        case_id = str(key) if key is not None and str(key) in ids else None
        if case_id is None:
            text = trace_input(trace)
            case_id = by_input.get(_normal(text)) if text else None
        if case_id is not None and case_id not in found:
            found[case_id] = trace
    return found


def check(case: Case, trace: TraceData) -> list[str]:
    """The expectations ``trace`` misses, as sentences (empty when it meets them all)."""
    e, problems = case.expect, []
    tools = tool_sequence(trace)
    if "tool_sequence" in e and tools != e["tool_sequence"]:
        problems.append(f"tools ran {tools}, expected the sequence {e['tool_sequence']}")
    if "tools" in e and set(tools) != set(e["tools"]):
        problems.append(f"tools ran {sorted(set(tools))}, expected {sorted(set(e['tools']))}")
    missing = [t for t in e.get("required_tools", ()) if t not in tools]
    if missing:
        problems.append(f"required tools not called: {missing}")
    forbidden = [t for t in e.get("forbidden_tools", ()) if t in tools]
    if forbidden:
        problems.append(f"forbidden tools called: {forbidden}")
    if "max_steps" in e:
        steps = len(trace.model_turns) + len(tools)
        if steps > e["max_steps"]:
            problems.append(f"{steps} steps (model calls + tool calls), max {e['max_steps']}")
    answer_keys = ("answer_contains", "answer_matches", "answer_equals")
    if any(k in e for k in answer_keys):
        answer = trace_answer(trace)
        if answer is None:
            problems.append(
                "no captured answer to check (turn on "
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT)"
            )
        else:
            lacking = [s for s in e.get("answer_contains", ()) if _normal(s) not in _normal(answer)]
            if lacking:
                problems.append(f"answer lacks {lacking}")
            if "answer_matches" in e and not re.search(str(e["answer_matches"]), answer):
                problems.append(f"answer does not match /{e['answer_matches']}/")
            if "answer_equals" in e and _normal(answer) != _normal(str(e["answer_equals"])):
                problems.append(f"answer is {answer!r}, expected {e['answer_equals']!r}")
    return problems


def _dataset(options: Options) -> list[Case]:
    raw = options.string("cases", None)
    if raw is None:
        raise options.error("cases", "required: the path of a JSONL or TOML dataset")
    path = Path(raw)
    if not path.is_absolute() and options.source:
        beside = Path(options.source).parent / path
        path = beside if beside.exists() or not path.exists() else path
    return load_cases(path)


class Expectations(Evaluator):
    """Every expectation of every case, on the newest trace that ran it."""

    name = "expectations"
    scope = TRACES
    description = "cases from a dataset: expected tools, answers and steps"

    def __init__(self, cases: list[Case], missing: str = "fail") -> None:
        self.cases = cases
        self.missing = missing

    @classmethod
    def configure(cls, options: Options) -> Evaluator:
        instance = cls(_dataset(options), options.string("missing", "fail", ("fail", "skip")))
        options.done()
        return instance

    def evaluate_all(self, traces: Sequence[TraceData], ctx: Context) -> list[Result]:
        matched = match(self.cases, traces)
        out = []
        for case in self.cases:
            trace = matched.get(case.id)
            if trace is None:
                if self.missing == "fail":
                    out.append(
                        self.result(
                            None, 0.0, False, f"case {case.id}: no trace ran it", subject=case.id
                        )
                    )
                continue
            problems = check(case, trace)
            checks = max(len(case.expect), 1)
            text = "; ".join(problems) if problems else f"met {len(case.expect)} expectations"
            out.append(
                self.result(
                    trace,
                    1 - len(problems) / checks,
                    not problems,
                    f"case {case.id}: {text}",
                    subject=case.id,
                )
            )
        return out


class ToolSelection(Evaluator):
    """Share of cases whose trace called the expected tools (a set, or a sequence)."""

    name = "tool_selection"
    scope = TRACES
    description = "tool-selection accuracy against a dataset's expected tools"

    def __init__(self, cases: list[Case], min_accuracy: float = 1.0) -> None:
        self.cases = [c for c in cases if "tools" in c.expect or "tool_sequence" in c.expect]
        self.min_accuracy = min_accuracy

    @classmethod
    def configure(cls, options: Options) -> Evaluator:
        cases = _dataset(options)
        instance = cls(cases, options.number("min_accuracy", 1.0, minimum=0.0, maximum=1.0))
        options.done()
        if not instance.cases:
            raise options.error("cases", "no case has a tools or tool_sequence expectation")
        return instance

    def evaluate_all(self, traces: Sequence[TraceData], ctx: Context) -> list[Result]:
        matched = match(self.cases, traces)
        right: list[tuple[Case, TraceData, list[str]]] = []
        wrong: list[tuple[Case, TraceData, list[str]]] = []
        for case in self.cases:
            trace = matched.get(case.id)
            if trace is None:
                continue
            tools = tool_sequence(trace)
            expected = case.expect.get("tool_sequence")
            ok = (
                tools == expected
                if expected is not None
                else set(tools) == set(case.expect["tools"])
            )
            (right if ok else wrong).append((case, trace, tools))
        judged = len(right) + len(wrong)
        if not judged:
            return [self.result(None, 0.0, False, "no trace ran any case of the dataset")]
        accuracy = len(right) / judged
        text = f"{len(right)} of {judged} cases called the expected tools ({accuracy:.0%}, min {self.min_accuracy:.0%})"
        if wrong:
            text += "; wrong: " + "; ".join(f"{c.id} ran {tools}" for c, _, tools in wrong[:5])
        spans = [t.root for _, t, _ in wrong]
        return [
            self.result(
                None,
                accuracy,
                accuracy >= self.min_accuracy,
                text,
                spans,
                accuracy=round(accuracy, 4),
                cases=judged,
                wrong=[c.id for c, _, _ in wrong],
            )
        ]
