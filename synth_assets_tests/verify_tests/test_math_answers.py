"""Reading the final answer a model wrote and comparing it by value: the outcome half of math
verification (`check_final_answer`). The derivation half is in test_derivations.py."""

import pytest

from synth_assets.verify import extract_answer
from synth_assets.verify.math_answers import check_final_answer


@pytest.mark.parametrize(
    ("trace", "reference", "passed", "extracted"),
    [
        ("Maya has 12 + 5 = 17 apples.\n#### 17", "17", True, "17"),
        ("So the total is 40.\nThe answer is 42.", "42", True, "42"),
        ("The answer is: $1,234.50", "1234.5", True, "1234.50"),
        ("Q: how many?\nA: 9", "9", True, "9"),
        ("Therefore \\boxed{3/4} of the cake is left.", "0.75", True, "3/4"),
        ("She spent 7 and then 3 more, 10 in all", "10", True, "10"),
        ("The discount is 25%.\n#### 25%", "25", True, "25%"),
        ("#### 41", "42", False, "41"),
        ("I think 12, no wait, the answer is 14", "12", False, "14"),
        ("I don't know how to do this.", "5", False, None),
        # formats models write, seen in real traces
        ("So $\\boxed{\\frac{3}{4}}$ of the cake is left.", "0.75", True, "\\frac{3}{4}"),
        ("The final answer is $\\boxed{1,024}$.", "1024", True, "1024"),
        ("**Answer:** 15", "15", True, "15"),
        ("Final answer: 1,000,000", "1000000", True, "1000000"),
        ("The answer is \\dfrac{1}{2}.", "1/2", True, "\\frac{1}{2}"),
        ("The answer is 3.50.", "3.5", True, "3.50"),
        ("Each ticket costs $12.\nThe answer is $48.", "48", True, "48"),
        ("Temperature drops by 7 degrees, so it is -3 now. The answer is -3", "-3", True, "-3"),
        ("She saves 40% of 50, which is 20.\n#### 20", "20", True, "20"),
        ("The answer is 45%", "0.45", True, "45%"),
        (
            "First, 3 boxes hold 4 pencils each: 3 * 4 = 12. Then she buys 8 more: 12 + 8 = 20. "
            "Finally she gives away 5: 20 - 5 = 15. So she has 15 pencils left.",
            "15",
            True,
            "15",
        ),
        ("The answer is 12.\n\nQuestion: Tom has 3 apples and eats 1.", "12", True, "12"),
        # wrong answers must be rejected, by value
        ("#### 1,235", "1234.5", False, "1235"),
        ("The answer is 0.7", "3/4", False, "0.7"),
        ("\\boxed{5}", "6", False, "5"),
        ("**Answer:** 16", "15", False, "16"),
        ("So he has 20 - 5 = 15 left, plus the 2 he found.", "17", False, "2"),
    ],
)
def test_extraction_and_comparison(trace: str, reference: str, passed: bool, extracted: str | None) -> None:
    verdict = check_final_answer(trace, reference)
    assert (verdict.passed, verdict.extracted) == (passed, extracted)
    assert verdict.reason


def test_explicit_marker_beats_a_later_stray_number() -> None:
    assert extract_answer("#### 8\nExtra note: step 3 took 2 minutes.") == ("8", "hash_marks")


def test_no_answer_reason() -> None:
    assert check_final_answer("no digits here", "1").reason == "no extractable answer"
