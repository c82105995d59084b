import pytest

from synth_assets.verify import check_math_answer, extract_answer


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
    ],
)
def test_extraction_and_comparison(trace: str, reference: str, passed: bool, extracted: str | None) -> None:
    verdict = check_math_answer(trace, reference)
    assert (verdict.passed, verdict.extracted) == (passed, extracted)
    assert verdict.reason


def test_explicit_marker_beats_a_later_stray_number() -> None:
    assert extract_answer("#### 8\nExtra note: step 3 took 2 minutes.") == ("8", "hash_marks")


def test_no_answer_reason() -> None:
    assert check_math_answer("no digits here", "1").reason == "no extractable answer"
