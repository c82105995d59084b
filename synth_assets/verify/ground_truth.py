"""One entry point for checking a trace against a task's ground truth: a number for math, unit
tests for code, verifiable constraints for general tasks that carry them. Used by the
rejection-sampling loop and by verified_traces, so both agree.

`GROUND_TRUTH` is the registry: one verifier per task family, with the name it writes to the
`verifier` column. Adding a family with ground truth is one check function and one entry; the
rejection-sampling loop, verified_traces, the DPO pairs and the contract check follow from it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from synth_assets.verify.code_tests import check_code
from synth_assets.verify.constraints import constraint_failures, parse_spec
from synth_assets.verify.execution_output import check_execution_output
from synth_assets.verify.math_answers import check_math_answer
from synth_assets.verify.printable import printable
from synth_assets.verify.sandbox import SandboxPolicy
from synth_assets.verify.word_order import order_violations, reads_as_text

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


def is_reward_hacking(evidence: object) -> bool:
    return isinstance(evidence, str) and evidence.startswith(REWARD_HACKING)


def _check_code(instruction: str, response: str, reference: str, policy: SandboxPolicy | None) -> GroundTruthVerdict:
    """Code that games its tests fails with evidence beginning `reward hacking: `; code that
    could not be run safely (no sandbox) gets `no_answer`, never a pass."""
    v = check_code(instruction, response, reference, policy=policy)
    if v.reward_hacking:
        return GroundTruthVerdict("failed", "unit_tests", None, REWARD_HACKING + v.reason)
    if v.passed and v.weak and not (policy and policy.count_weak_passes):
        why = "passed without namespaces, not counted (verify.count_weak_passes is off)"
        return GroundTruthVerdict("no_answer", "unit_tests", None, f"{why}: {v.reason}")
    verdict = "passed" if v.passed else ("no_answer" if v.status in ("no_answer", "unavailable") else "failed")
    return GroundTruthVerdict(verdict, "unit_tests", None, v.reason)


def _check_math(instruction: str, response: str, reference: str, policy: SandboxPolicy | None) -> GroundTruthVerdict:
    m = check_math_answer(response, reference, question=instruction)
    verdict = "passed" if m.passed else ("no_answer" if m.extracted is None else "failed")
    return GroundTruthVerdict(verdict, "math_reference", m.extracted, m.reason)


def _check_constraints(
    instruction: str, response: str, reference: str, policy: SandboxPolicy | None
) -> GroundTruthVerdict:
    """Every constraint the task carries must hold; the evidence names each one that does not."""
    try:
        spec = parse_spec(reference)
    except ValueError as exc:
        return GroundTruthVerdict("no_answer", "constraints", None, f"reference_answer {exc}")
    if not response.strip():
        return GroundTruthVerdict("no_answer", "constraints", None, "empty response")
    failures = constraint_failures(response, spec)
    if failures:
        return GroundTruthVerdict("failed", "constraints", None, "; ".join(failures))
    if not spec.sets_case and not reads_as_text(response, verse=True):
        why = f"not text: {order_violations(response, verse=True)} places break sentence order (word salad)"
        return GroundTruthVerdict("failed", "constraints", None, f"{why}, though its constraints hold")
    met = ", ".join(c.kind for c in spec.constraints)
    return GroundTruthVerdict("passed", "constraints", None, f"{len(spec.constraints)} constraints met: {met}")


def _check_output(instruction: str, response: str, reference: str, policy: SandboxPolicy | None) -> GroundTruthVerdict:
    """The value the answer names against the value running the call gave (see execution_output)."""
    o = check_execution_output(response, reference)
    verdict = "passed" if o.passed else ("no_answer" if o.extracted is None else "failed")
    return GroundTruthVerdict(verdict, "execution_output", o.extracted, o.reason)


@dataclass(frozen=True)
class GroundTruthVerifier:
    family: str  # the task family it checks
    name: str  # what it writes to the `verifier` column
    check: Callable[[str, str, str, SandboxPolicy | None], GroundTruthVerdict]  # instruction, response, reference
    runs_code: bool = False  # checks go side by side in sandbox processes


GROUND_TRUTH: dict[str, GroundTruthVerifier] = {
    v.family: v
    for v in (
        GroundTruthVerifier("math", "math_reference", _check_math),
        GroundTruthVerifier("code", "unit_tests", _check_code, runs_code=True),
        GroundTruthVerifier("general", "constraints", _check_constraints),
        GroundTruthVerifier("code_output", "execution_output", _check_output),
    )
}
GROUND_TRUTH_NAMES: tuple[str, ...] = tuple(v.name for v in GROUND_TRUTH.values())
# Verifiers without ground truth, given in verified_traces; "none": nothing could check the trace.
OTHER_VERIFIERS = ("self_consistency", "llm_judge", "none")
VERIFIER_NAMES: tuple[str, ...] = (*GROUND_TRUTH_NAMES, *OTHER_VERIFIERS)


def has_ground_truth(family: str, reference: str | None) -> bool:
    return family in GROUND_TRUTH and reference is not None


def check_ground_truth(
    family: str, instruction: str, response: str, reference: str, policy: SandboxPolicy | None = None
) -> GroundTruthVerdict:
    """Always a verdict, never an exception: a check that breaks (a malformed reference, the
    host out of space) is `no_answer` with the reason, so one item cannot fail a batch."""
    verifier = GROUND_TRUTH[family]
    try:
        return verifier.check(instruction, response, reference, policy)
    except Exception as exc:  # any failure of the check itself, reported on the row
        why = printable(f"{type(exc).__name__}: {exc}", 300)
        return GroundTruthVerdict("no_answer", verifier.name, None, f"the check itself failed (not a verdict): {why}")


def check_many(
    items: Sequence[tuple[str, str, str, str]], policy: SandboxPolicy | None = None
) -> list[GroundTruthVerdict]:
    """`check_ground_truth` over (family, instruction, response, reference) items. Code runs in
    sandbox processes, so those checks go side by side, one per core: serially, a 50,000-trace
    round spent most of its verification time waiting for them."""
    verdicts: list[GroundTruthVerdict | None] = [None] * len(items)
    code = [i for i, item in enumerate(items) if GROUND_TRUTH[item[0]].runs_code]
    for i, item in enumerate(items):
        if not GROUND_TRUTH[item[0]].runs_code:
            verdicts[i] = check_ground_truth(*item, policy)
    if code:
        with ThreadPoolExecutor(max(1, os.cpu_count() or 1)) as pool:
            for i, verdict in zip(code, pool.map(lambda i: check_ground_truth(*items[i], policy), code), strict=True):
                verdicts[i] = verdict
    return verdicts  # type: ignore[return-value]
