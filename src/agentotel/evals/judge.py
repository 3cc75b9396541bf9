"""An LLM-as-judge evaluator: a model scores each trace's answer against a rubric.

Configured under ``[eval.judge]``; it works with any OpenAI-compatible endpoint
(``provider = "openai"``, with ``base_url`` for other servers) or Anthropic. It needs
captured content (the question and the answer) and says so when a trace has none.
Verdicts are cached by everything that decides them (provider, model, rubric, input,
answer), so re-running a gate costs nothing for traces already judged. The judge's own
model calls run under an ``invoke_workflow agentotel.judge`` span marked
``agentotel.evaluation.judge``: when the process is instrumented they are traced, and
trace selection for evaluation leaves such traces out.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from opentelemetry import trace as otel_trace

from agentotel import semconv
from agentotel.evals.builtin import Context, Evaluator
from agentotel.evals.cases import tool_sequence, trace_answer, trace_input
from agentotel.evals.model import Result, TraceData
from agentotel.evals.options import Options
from agentotel.store.settings import default_path

PROMPT = (
    "You grade the answer an AI agent gave, against a rubric. Read the rubric, the user's "
    "input, the tools the agent called and its answer. Reply with one JSON object and "
    'nothing else: {"score": <a number from 0 to 1>, "reasoning": "<two sentences at most>"}.'
)
_JSON = re.compile(r"\{.*\}", re.S)


class JudgeError(Exception):
    """The judge model could not be called or did not answer with a score."""


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + " [...]"


class Judge(Evaluator):
    """Scores every trace with a model; a trace passes when its score reaches ``threshold``."""

    name = "judge"
    description = "an LLM judge scoring each answer against a rubric"

    def __init__(
        self,
        model: str,
        rubric: str,
        provider: str = "openai",
        base_url: str | None = None,
        api_key_env: str | None = None,
        threshold: float = 0.7,
        cache: str | None = None,
        max_chars: int = 8000,
        timeout_s: float = 60.0,
    ) -> None:
        self.model = model
        self.rubric = rubric
        self.provider = provider
        self.base_url = base_url
        self.api_key_env = api_key_env or (
            "ANTHROPIC_API_KEY" if provider == "anthropic" else "OPENAI_API_KEY"
        )
        self.threshold = threshold
        self.cache_path = (
            None if cache == "off" else Path(cache or default_path().parent / "judge-cache.json")
        )
        self.max_chars = max_chars
        self.timeout_s = timeout_s
        self._cache: dict[str, dict[str, Any]] | None = None
        self._client: Any = None

    @classmethod
    def configure(cls, options: Options) -> Evaluator:
        model = options.string("model", None)
        rubric = options.string("rubric", None)
        if not model:
            raise options.error("model", "required: the judge model's name")
        if not rubric:
            raise options.error("rubric", "required: what a good answer is")
        instance = cls(
            model,
            rubric,
            provider=options.string("provider", "openai", ("openai", "anthropic")),
            base_url=options.string("base_url", None),
            api_key_env=options.string("api_key_env", None),
            threshold=options.number("threshold", 0.7, minimum=0.0, maximum=1.0),
            cache=options.string("cache", None),
            max_chars=options.number("max_chars", 8000, minimum=200, integer=True),
            timeout_s=options.number("timeout_s", 60.0, minimum=1.0),
        )
        options.done()
        return instance

    # -- cache ------------------------------------------------------------------------
    def _load_cache(self) -> dict[str, dict[str, Any]]:
        if self._cache is None:
            self._cache = {}
            if self.cache_path is not None and self.cache_path.exists():
                with contextlib.suppress(OSError, ValueError):
                    loaded = json.loads(self.cache_path.read_text(encoding="utf-8"))
                    if isinstance(loaded, dict):
                        self._cache = loaded
        return self._cache

    def _save_cache(self) -> None:
        if self.cache_path is None or self._cache is None:
            return
        with contextlib.suppress(OSError):
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.cache_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self._cache, ensure_ascii=False), encoding="utf-8")
            tmp.replace(self.cache_path)

    def key(self, question: str, answer: str, tools: list[str]) -> str:
        parts = [
            self.provider,
            self.base_url or "",
            self.model,
            self.rubric,
            question,
            answer,
            *tools,
        ]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()

    # -- the model call ---------------------------------------------------------------
    def _ask(self, prompt: str) -> str:
        key = os.environ.get(self.api_key_env) or "unused"
        if self.provider == "anthropic":
            import anthropic

            if self._client is None:
                self._client = anthropic.Anthropic(
                    api_key=key, base_url=self.base_url, timeout=self.timeout_s
                )
            msg = self._client.messages.create(
                model=self.model,
                max_tokens=400,
                system=PROMPT,
                messages=[{"role": "user", "content": prompt}],
            )
            return "".join(getattr(b, "text", "") for b in msg.content)
        import openai

        if self._client is None:
            self._client = openai.OpenAI(
                api_key=key, base_url=self.base_url, timeout=self.timeout_s
            )
        reply = self._client.chat.completions.create(
            model=self.model,
            temperature=0,
            messages=[{"role": "system", "content": PROMPT}, {"role": "user", "content": prompt}],
        )
        return reply.choices[0].message.content or ""

    def verdict(self, question: str, answer: str, tools: list[str]) -> dict[str, Any]:
        """``{"score", "reasoning", "cached"}`` for one answer, from the cache or the model."""
        cache = self._load_cache()
        key = self.key(question, answer, tools)
        if key in cache:
            return {**cache[key], "cached": True}
        prompt = (
            f"Rubric:\n{self.rubric}\n\nUser input:\n{_cut(question, self.max_chars)}\n\n"
            f"Tools called, in order: {', '.join(tools) or 'none'}\n\n"
            f"Agent answer:\n{_cut(answer, self.max_chars)}"
        )
        tracer = otel_trace.get_tracer("agentotel.evals")
        attrs: dict[str, str | bool] = {
            semconv.GEN_AI_OPERATION_NAME: semconv.OP_INVOKE_WORKFLOW,
            semconv.AGENTOTEL_EVALUATION_JUDGE: True,
        }
        with tracer.start_as_current_span("invoke_workflow agentotel.judge", attributes=attrs):
            try:
                text = self._ask(prompt)
            except Exception as exc:
                raise JudgeError(f"{type(exc).__name__}: {exc}") from None
        found = _JSON.search(text)
        try:
            data = json.loads(found.group(0)) if found else None
            score = float(data["score"])  # type: ignore[index]
        except (ValueError, TypeError, KeyError):
            raise JudgeError(
                f"the judge did not answer with a score: {_cut(text, 200)!r}"
            ) from None
        result = {"score": max(0.0, min(1.0, score)), "reasoning": str(data.get("reasoning", ""))}  # type: ignore[union-attr]
        cache[key] = result
        self._save_cache()
        return {**result, "cached": False}

    def evaluate_trace(self, trace: TraceData, ctx: Context) -> Result:
        question, answer = trace_input(trace), trace_answer(trace)
        if question is None or answer is None:
            return self.result(
                trace,
                0.0,
                False,
                "no captured question or answer to judge: record the traces with "
                "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true",
                content=False,
            )
        try:
            v = self.verdict(question, answer, tool_sequence(trace))
        except JudgeError as exc:
            return self.result(trace, 0.0, False, f"judge failed: {exc}", judge_error=True)
        passed = v["score"] >= self.threshold
        text = f"score {v['score']:.2f} (threshold {self.threshold:.2f}): {v['reasoning']}"
        return self.result(
            trace,
            v["score"],
            passed,
            text,
            reasoning=v["reasoning"],
            cached=v["cached"],
            model=self.model,
        )

    def evaluate(self, traces: Sequence[TraceData], ctx: Context) -> list[Result]:
        return [self.evaluate_trace(t, ctx) for t in traces]
