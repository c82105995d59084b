"""Verifiers: decide whether a trace is right, and keep the evidence.

Public entry points (stable):
- `check_math_answer(trace, reference, question=None) -> MathVerdict` (the answer must be derived);
- `check_code(prompt, completion, reference) -> CodeVerdict` (`.passed`, `.status`, `.reason`),
  `reference` being the task's tests as stored in `reference_answer` (JSON with `test` and
  `entry_point`).
"""

from synth_assets.verify.code_tests import CodeVerdict, check_code
from synth_assets.verify.math_answers import MathVerdict, check_math_answer, extract_answer

__all__ = ["CodeVerdict", "MathVerdict", "check_code", "check_math_answer", "extract_answer"]
