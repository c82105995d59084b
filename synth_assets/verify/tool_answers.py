"""Checking an agent's final answer: by value against the reference, like any trace, and it must
have been computed, not asserted. For math that means a tool returned the answer from inputs that
did not already hold it (a `calculator("12")` or `print(12)` computes nothing), or the final text
derives it step by step as a chain-of-thought trace must (`math_answers.check_math_answer`).
Other families are checked as their traces are (`ground_truth`), on the final answer."""

from __future__ import annotations

import re
from fractions import Fraction

from synth_assets.verify.ground_truth import GroundTruthVerdict, check_ground_truth
from synth_assets.verify.math_answers import check_final_answer, check_math_answer
from synth_assets.verify.sandbox import SandboxPolicy

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:/\d+)?")


def check_agent_answer(
    family: str, instruction: str, final: str, reference: str, tool_work: list[tuple[str, str]],
    policy: SandboxPolicy | None = None,
) -> GroundTruthVerdict:  # fmt: skip
    if family != "math":
        return check_ground_truth(family, instruction, final, reference, policy)
    outcome = check_final_answer(final, reference)
    if not outcome.passed:
        return GroundTruthVerdict("no_answer" if outcome.extracted is None else "failed", "math_reference",
                                  outcome.extracted, outcome.reason)  # fmt: skip
    answer = _number(outcome.extracted or "")
    for given, returned in tool_work:
        if answer is not None and answer in _numbers(returned) and answer not in _numbers(given):
            return GroundTruthVerdict("passed", "math_reference", outcome.extracted,
                                      f"{outcome.reason}, computed by a tool from {given[:120]}")  # fmt: skip
    derived = check_math_answer(final, reference, question=instruction)
    verdict = "passed" if derived.passed else "failed"
    why = (
        derived.reason
        if derived.passed
        else f"no tool computed it and the answer text does not derive it: {derived.reason}"
    )
    return GroundTruthVerdict(verdict, "math_reference", outcome.extracted, why)


def _numbers(text: str) -> set[Fraction]:
    return {n for n in (_number(m) for m in _NUMBER.findall(text.replace(",", ""))) if n is not None}


def _number(text: str) -> Fraction | None:
    try:
        return Fraction(text.replace(",", "").rstrip("%"))
    except (ValueError, ZeroDivisionError):
        return None
