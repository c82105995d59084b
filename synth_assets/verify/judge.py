"""An LLM judge with a rubric, through the same backends as generation. Its score is evidence
(`judge_score`, verifier `llm_judge`), used by the funnel's judge threshold; it is an opinion,
never recorded as a pass against ground truth."""

from __future__ import annotations

import re

from synth_assets.core.turns import user_turn
from synth_assets.llm.base import Generation, GenerationRequest
from synth_assets.llm.structured import OutputSchema, fields

JUDGE_SYSTEM = "You are a strict, fair grader of answers written for training a language model."
RUBRIC = (
    "Rate the response to the task from 1 to 10 for correctness, helpfulness and clarity "
    "(1 = wrong or useless, 10 = correct, complete and clear). Reply with 'Score: N' on the first "
    "line and one sentence of justification on the second."
)
JSON_RUBRIC = (
    "Rate the response to the task from 1 to 10 for correctness, helpfulness and clarity "
    '(1 = wrong or useless, 10 = correct, complete and clear). Answer as {"reason": "one sentence", "score": N}.'
)
GRADE = OutputSchema.of(
    "grade",
    {
        "type": "object",
        "properties": {  # the reason first: a grade written after its justification
            "reason": {"type": "string", "maxLength": 300},
            "score": {"type": "integer", "enum": list(range(1, 11))},
        },
        "required": ["reason", "score"],
        "additionalProperties": False,
    },
)
_SCORE = re.compile(r"score\s*[:=]?\s*(\d{1,2})(?:\s*/\s*10)?", re.IGNORECASE)
_ANY = re.compile(r"\b(10|[1-9])\b")


def judge_prompt(instruction: str, task_input: str, response: str, as_json: bool = False) -> str:
    task = user_turn(instruction, task_input)
    rubric = JSON_RUBRIC if as_json else RUBRIC
    return f"{rubric}\n\n### Task\n{task}\n\n### Response\n{response}\n\n### Your grade"


def judge_request(
    instruction: str, task_input: str, response: str, max_tokens: int, seed: int, as_json: bool = False
) -> GenerationRequest:
    return GenerationRequest(
        prompt=judge_prompt(instruction, task_input, response, as_json),
        system=JUDGE_SYSTEM,
        mode="chat",
        max_tokens=max_tokens,
        temperature=0.0,
        top_p=1.0,
        seed=seed,
        output=GRADE if as_json else None,
    )


def parse_score(text: str) -> int | None:
    """'Score: 7', 'score = 7/10'; else the first number from 1 to 10. Out of range: None."""
    found = _SCORE.search(text) or _ANY.search(text)
    if not found:
        return None
    score = int(found.group(1))
    return score if 1 <= score <= 10 else None


def judge_evidence(result: Generation, output: OutputSchema | None = None) -> tuple[float | None, str]:
    """(score, evidence) from a grade in either form: `{"score", "reason"}`, or 'Score: N'."""
    if not result.ok:
        return None, f"judge call failed: {result.error}"
    value = fields(result.text, output) if output is not None else None
    score = int(value["score"]) if value else parse_score(result.text)
    reason = " ".join((value["reason"] if value else result.text).split())[:160]
    if score is None:
        return None, f"judge output has no score: {reason!r}"
    return float(score), f"judge score {score}/10: {reason}"
