"""Math answer checking: extract the final answer a model wrote, compare by value with math-verify.

String comparison would fail "1,234.50" against "1234.5" and "3/4" against "0.75"; math-verify
parses both sides to sympy and compares values.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

_NUMBER = r"-?\$?\s?\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+)?\s*%?"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("hash_marks", re.compile(rf"####\s*({_NUMBER})")),
    ("boxed", re.compile(r"\\boxed\{([^{}]+)\}")),
    ("answer_is", re.compile(rf"answer\s+is\s*:?\s*({_NUMBER})", re.IGNORECASE)),
    ("answer_label", re.compile(rf"(?:^|\n)\s*(?:A|Answer)\s*:\s*({_NUMBER})", re.IGNORECASE)),
)
_LAST_NUMBER = re.compile(_NUMBER)


@dataclass(frozen=True)
class MathVerdict:
    passed: bool
    extracted: str | None
    reason: str


def extract_answer(trace: str) -> tuple[str | None, str]:
    """The final answer and which rule found it. Explicit answer markers win over the last
    number, and of several marked answers the last one counts (models restate and correct)."""
    for rule, pattern in _PATTERNS:
        found = pattern.findall(trace)
        if found:
            return _clean(found[-1]), rule
    numbers = _LAST_NUMBER.findall(trace)
    if numbers:
        return _clean(numbers[-1]), "last_number"
    return None, "none"


def _clean(raw: str) -> str:
    return raw.replace("$", "").replace(",", "").replace(" ", "").strip()


def _timeout() -> int | None:
    """math-verify's timeout uses signals, which only work on the main thread."""
    return 5 if threading.current_thread() is threading.main_thread() else None


def same_value(candidate: str, reference: str) -> bool:
    config = [ExprExtractionConfig(), LatexExtractionConfig()]
    gold = parse(reference, extraction_config=config, parsing_timeout=_timeout())
    pred = parse(candidate, extraction_config=config, parsing_timeout=_timeout())
    return bool(gold and pred and verify(gold, pred, timeout_seconds=_timeout()))


def check_math_answer(trace: str, reference: str) -> MathVerdict:
    extracted, rule = extract_answer(trace)
    if extracted is None:
        return MathVerdict(False, None, "no extractable answer")
    if same_value(extracted, _clean(reference)):
        return MathVerdict(True, extracted, f"{extracted} equals reference {reference} ({rule})")
    return MathVerdict(False, extracted, f"{extracted} differs from reference {reference} ({rule})")
