"""One entry point for checking a trace against a task's ground truth: a number for math, unit
tests for code. Used by the rejection-sampling loop and by verified_traces, so both agree."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from synth_assets.verify.code_tests import check_code
from synth_assets.verify.math_answers import check_math_answer
from synth_assets.verify.sandbox import SandboxPolicy

VERIFIERS = {"math": "math_reference", "code": "unit_tests"}
REWARD_HACKING = "reward hacking: "  # how the evidence of a trace that tripped a defence begins


@dataclass(frozen=True)
class GroundTruthVerdict:
    verdict: str  # passed, failed, no_answer
    verifier: str
    extracted: str | None
    evidence: str

    @property
    def passed(self) -> bool:
        return self.verdict == "passed"


def has_ground_truth(family: str, reference: str | None) -> bool:
    return family in VERIFIERS and reference is not None


def is_reward_hacking(evidence: object) -> bool:
    return isinstance(evidence, str) and evidence.startswith(REWARD_HACKING)


def check_ground_truth(
    family: str, instruction: str, response: str, reference: str, policy: SandboxPolicy | None = None
) -> GroundTruthVerdict:
    """Code that games its tests fails with evidence beginning `reward hacking: `; code that
    could not be run safely (no sandbox) gets `no_answer`, never a pass."""
    if family == "code":
        v = check_code(instruction, response, reference, policy=policy)
        if v.reward_hacking:
            return GroundTruthVerdict("failed", "unit_tests", None, REWARD_HACKING + v.reason)
        verdict = "passed" if v.passed else ("no_answer" if v.status in ("no_answer", "unavailable") else "failed")
        return GroundTruthVerdict(verdict, "unit_tests", None, v.reason)
    m = check_math_answer(response, reference)
    verdict = "passed" if m.passed else ("no_answer" if m.extracted is None else "failed")
    return GroundTruthVerdict(verdict, "math_reference", m.extracted, m.reason)


def check_many(
    items: Sequence[tuple[str, str, str, str]], policy: SandboxPolicy | None = None
) -> list[GroundTruthVerdict]:
    """`check_ground_truth` over (family, instruction, response, reference) items. Code runs in
    sandbox processes, so those checks go side by side, one per core: serially, a 50,000-trace
    round spent most of its verification time waiting for them."""
    verdicts: list[GroundTruthVerdict | None] = [None] * len(items)
    code = [i for i, item in enumerate(items) if item[0] == "code"]
    for i, item in enumerate(items):
        if item[0] != "code":
            verdicts[i] = check_ground_truth(*item, policy)
    if code:
        with ThreadPoolExecutor(max(1, os.cpu_count() or 1)) as pool:
            for i, verdict in zip(code, pool.map(lambda i: check_ground_truth(*items[i], policy), code), strict=True):
                verdicts[i] = verdict
    return verdicts  # type: ignore[return-value]
