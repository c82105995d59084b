"""Code verification: the candidate completion runs in the sandbox and the task's unit tests call
it from a separate harness process (see `sandbox`).

HumanEval's protocol: the candidate's program is prompt + completion; the harness runs the test
module and `check(candidate)`, `candidate` being a proxy to the entry point. A chat model's answer
arrives in a code fence, usually with the whole function; a raw completion continues the prompt.
Both are handled.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from synth_assets.verify.sandbox import SandboxLimits, SandboxPolicy, run_tests

_FENCE = re.compile(r"```(?:python|py)?\s*\n(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class CodeVerdict:
    passed: bool
    status: str  # passed, failed, error, timeout, reward_hacking, unavailable, no_answer
    reason: str
    weak: bool = False  # run without namespaces (verify.allow_weak_isolation)

    @property
    def reward_hacking(self) -> bool:
        return self.status == "reward_hacking"


def program_for(prompt: str, completion: str) -> str:
    fenced = _FENCE.findall(completion)
    body = fenced[-1] if fenced else completion
    # A whole function (chat answer) is appended after the stub; a continuation extends it.
    return f"{prompt}\n{body}" if re.search(r"^\s*def \w+\(", body, re.M) else prompt + body


def check_code(
    prompt: str,
    completion: str,
    reference: str,
    limits: SandboxLimits | None = None,
    policy: SandboxPolicy | None = None,
) -> CodeVerdict:
    """`reference` is the task's tests as stored in `reference_answer`: JSON with `test` (defining
    `check(candidate)`) and `entry_point`, and `reference_solution` when the task has one (then
    the candidate must also agree with it on mutants of the tests' inputs)."""
    if not completion.strip():
        return CodeVerdict(False, "no_answer", "empty completion")
    try:
        tests = json.loads(reference)
        tests["test"], tests["entry_point"]  # both must be there
    except (ValueError, KeyError, TypeError) as exc:
        return CodeVerdict(False, "no_answer", f"reference_answer is not a tests object: {exc}")
    program = program_for(prompt, completion)
    solution = tests.get("reference_solution")
    outcome = run_tests(program, tests["test"], tests["entry_point"], prompt, limits, policy, solution)
    return CodeVerdict(outcome.passed, outcome.status, outcome.summary, outcome.isolation.startswith("WEAK"))
