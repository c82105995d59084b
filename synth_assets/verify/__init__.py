"""Verifiers: decide whether a trace is right, and keep the evidence.

Public entry point (stable): `check_math_answer(trace, reference) -> MathVerdict`.
"""

from synth_assets.verify.math_answers import MathVerdict, check_math_answer, extract_answer

__all__ = ["MathVerdict", "check_math_answer", "extract_answer"]
