"""Math answer checking: extract the final answer a model wrote, compare by value with math-verify,
and require the trace to derive it (`derivation`: every arithmetic step holds and the last one
computes the answer; `word_order`: it is text, not a bag of tokens).

String comparison would fail "1,234.50" against "1234.5" and "3/4" against "0.75"; math-verify
parses both sides to sympy and compares values. Plain numbers on both sides (nearly every
grade-school answer) are compared exactly as fractions first: the same verdict in microseconds
instead of milliseconds, which is what lets a 50,000-trace round verify in seconds.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from fractions import Fraction

from synth_assets.verify.derivation import derivation_failure, uses_the_question
from synth_assets.verify.word_order import order_violations, reads_as_text

_PLAIN = r"-?\$?\s?\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+)?\s*%?"
_NUMBER = rf"(?:-?\\[dt]?frac\{{-?\d+\}}\{{\d+\}}|{_PLAIN})"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("hash_marks", re.compile(rf"####\s*({_NUMBER})")),
    ("answer_is", re.compile(rf"answer\s+is\s*:?\s*\$?\s*({_NUMBER})", re.IGNORECASE)),
    ("answer_label", re.compile(rf"(?:^|\n)\s*(?:A|Answer|Final answer)\s*:\s*\$?\s*({_NUMBER})", re.IGNORECASE)),
)
_LAST_NUMBER = re.compile(_PLAIN)
_BOXED = re.compile(r"\\(?:boxed|fbox)\{")


@dataclass(frozen=True)
class MathVerdict:
    passed: bool
    extracted: str | None
    reason: str


def extract_answer(trace: str) -> tuple[str | None, str]:
    """The final answer and which rule found it. Explicit answer markers win over the last
    number, and of several marked answers the last one counts (models restate and correct).
    Markdown bold ("**Answer:** 7") is read through."""
    text = trace.replace("**", "")
    found = _PATTERNS[0][1].findall(text)
    if found:
        return _clean(found[-1]), "hash_marks"
    boxed = _last_boxed(text)
    if boxed:
        return _clean(boxed), "boxed"
    for rule, pattern in _PATTERNS[1:]:
        found = pattern.findall(text)
        if found:
            return _clean(found[-1]), rule
    numbers = _LAST_NUMBER.findall(trace)
    if numbers:
        return _clean(numbers[-1]), "last_number"
    return None, "none"


def _last_boxed(text: str) -> str | None:
    """The content of the last \\boxed{...}, braces balanced (\\boxed{\\frac{3}{4}} is common)."""
    starts = [m.end() for m in _BOXED.finditer(text)]
    if not starts:
        return None
    depth, start = 1, starts[-1]
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[start:i] or None
    return None


def _clean(raw: str) -> str:
    cleaned = raw.replace("$", "").replace(",", "").replace(" ", "").strip().rstrip(".")
    return re.sub(r"\\[dt]frac", r"\\frac", cleaned)


def _timeout() -> int | None:
    """math-verify's timeout uses signals, which only work on the main thread."""
    return 5 if threading.current_thread() is threading.main_thread() else None


_INTEGER = re.compile(r"-?\d+")
_RATIONAL = re.compile(r"-?\d+(?:\.\d+)?(?:/\d+)?")


def _plain_verdict(candidate: str, reference: str) -> bool | None:
    """Equal plain numbers are equal; different integers differ. Anything else (tolerances,
    percentages, LaTeX, expressions) is math-verify's call."""
    if not (_RATIONAL.fullmatch(candidate) and _RATIONAL.fullmatch(reference)):
        return None
    try:
        equal = Fraction(candidate) == Fraction(reference)
    except (ValueError, ZeroDivisionError):
        return None
    if equal:
        return True
    return False if _INTEGER.fullmatch(candidate) and _INTEGER.fullmatch(reference) else None


def same_value(candidate: str, reference: str) -> bool:
    plain = _plain_verdict(candidate, reference)
    if plain is not None:
        return plain
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify  # sympy: ~0.7 s to import

    config = [ExprExtractionConfig(), LatexExtractionConfig()]
    gold = parse(reference, extraction_config=config, parsing_timeout=_timeout())
    pred = parse(candidate, extraction_config=config, parsing_timeout=_timeout())
    return bool(gold and pred and verify(gold, pred, timeout_seconds=_timeout()))


def check_final_answer(trace: str, reference: str) -> MathVerdict:
    """Outcome only: the trace's final answer equals the reference by value. Not a verdict on
    its own (a bare `#### 18` passes it); `check_math_answer` adds the derivation."""
    extracted, rule = extract_answer(trace)
    if extracted is None:
        return MathVerdict(False, None, "no extractable answer")
    if same_value(extracted, _clean(reference)):
        return MathVerdict(True, extracted, f"{extracted} equals reference {reference} ({rule})")
    return MathVerdict(False, extracted, f"{extracted} differs from reference {reference} ({rule})")


def check_math_answer(trace: str, reference: str, question: str | None = None) -> MathVerdict:
    """Right answer, derived: the final answer equals the reference, every arithmetic step of
    the trace holds, and the last of them computes that answer (`derivation`); with the
    `question`, the steps must also start from its numbers (another problem's work does not)."""
    outcome = check_final_answer(trace, reference)
    if not outcome.passed:
        return outcome
    problem = derivation_problem(trace, outcome.extracted, question)  # type: ignore[arg-type]
    if problem:
        return MathVerdict(False, outcome.extracted, problem)
    return MathVerdict(True, outcome.extracted, f"{outcome.reason}, derived step by step")


def derivation_problem(trace: str, answer: str, question: str | None = None) -> str | None:
    """Why the trace does not derive `answer` (None: it does)."""
    value = _as_number(answer)
    if value is None:
        return f"{answer} is not derived: not a number the steps could compute"
    failure = derivation_failure(trace, value)
    if failure is None and question is not None and not uses_the_question(trace, question):
        return f"{answer} is not derived from this question: no step uses one of its numbers"
    if failure is None and not reads_as_text(trace):
        return f"not text: {order_violations(trace)} places break sentence order (shuffled words or word salad)"
    return failure


def derived_answer(trace: str) -> tuple[str | None, str | None]:
    """The final answer when the trace derives it, else None and why: what a sample may vote
    with in self-consistency (a trace that derives nothing casts no vote)."""
    extracted, _ = extract_answer(trace)
    if extracted is None:
        return None, "no extractable answer"
    problem = derivation_problem(trace, extracted)
    return (None, problem) if problem else (extracted, None)


def _as_number(answer: str) -> Fraction | None:
    text = answer.rstrip("%")
    frac = re.fullmatch(r"\\frac\{(-?\d+)\}\{(\d+)\}", text)
    try:
        if frac:
            return Fraction(int(frac.group(1)), int(frac.group(2)))
        return Fraction(text) if _RATIONAL.fullmatch(text) else None
    except (ValueError, ZeroDivisionError):
        return None
