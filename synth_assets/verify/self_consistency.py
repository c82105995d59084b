"""Self-consistency (Wang et al., 2023) for tasks with no reference: the k samples vote, and a
trace counts as `consistent` only when its answer is the majority's and the majority is large
enough. That is agreement, not truth, and the verdict says so: it is never `passed`.

Answers are grouped by value with math-verify, so "0.5", "1/2" and "\\frac{1}{2}" vote together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from synth_assets.verify.math_answers import same_value


@dataclass(frozen=True)
class Vote:
    verdict: str  # 'consistent', 'inconsistent' or 'no_answer'
    majority: str | None
    votes: int
    samples: int

    @property
    def evidence(self) -> str:
        if self.verdict == "no_answer":
            return "no extractable answer to vote with"
        return f"{self.votes}/{self.samples} samples answer {self.majority}"


def _groups(answers: Sequence[str | None]) -> list[list[int]]:
    groups: list[list[int]] = []
    for i, answer in enumerate(answers):
        if answer is None:
            continue
        for group in groups:
            if same_value(answer, answers[group[0]]):  # type: ignore[arg-type]
                group.append(i)
                break
        else:
            groups.append([i])
    return groups


def vote(answers: Sequence[str | None], threshold: float) -> list[Vote]:
    """One vote per sample. The majority must hold `threshold` of all k samples (a sample with
    no answer counts against it), and a single sample cannot agree with anyone."""
    groups = _groups(answers)
    top = max(groups, key=len, default=[])
    share = len(top) / len(answers) if answers else 0.0
    majority = answers[top[0]] if top else None
    strong = len(answers) >= 2 and share >= threshold
    out = []
    for i, answer in enumerate(answers):
        verdict = "no_answer" if answer is None else ("consistent" if strong and i in top else "inconsistent")
        out.append(Vote(verdict, majority, len(top), len(answers)))
    return out
