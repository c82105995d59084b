"""Code verification: the candidate completion runs against the task's unit tests in the sandbox.

HumanEval's protocol: program = prompt + completion, then the test module, then
`check(entry_point)`. A chat model's answer arrives in a code fence, usually with the whole
function; a raw completion continues the prompt. Both are handled.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from synth_assets.verify.sandbox import SandboxLimits, run_python

_FENCE = re.compile(r"```(?:python|py)?\s*\n(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class CodeVerdict:
    passed: bool
    status: str  # passed, failed, error, timeout, blocked, no_answer
    reason: str


def program_for(prompt: str, completion: str) -> str:
    fenced = _FENCE.findall(completion)
    body = fenced[-1] if fenced else completion
    # A whole function (chat answer) is appended after the stub; a continuation extends it.
    return f"{prompt}\n{body}" if re.search(r"^\s*def \w+\(", body, re.M) else prompt + body


def check_code(prompt: str, completion: str, reference: str, limits: SandboxLimits | None = None) -> CodeVerdict:
    if not completion.strip():
        return CodeVerdict(False, "no_answer", "empty completion")
    tests = json.loads(reference)
    result = run_python(
        program_for(prompt, completion) + "\n\n" + tests["test"], f"check({tests['entry_point']})", limits
    )
    return CodeVerdict(result.passed, result.status, result.summary)
