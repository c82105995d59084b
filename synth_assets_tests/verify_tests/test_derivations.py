"""A math trace passes only when it derives its answer: every arithmetic step holds and the last
one computes the answer, in text that reads as text. Right traces in the forms people and models
write them pass; the wrong ones the issue found on main (a bare answer, a false step, another
problem's work, word salad, a wrong division) fail, naming why."""

from __future__ import annotations

import json
import random
import re
from fractions import Fraction

import pytest

from synth_assets.verify import check_math_answer
from synth_assets.verify.derivation import claims_in
from synth_assets.verify.math_answers import derived_answer
from synth_assets.verify.word_order import MAX_VIOLATIONS, order_violations
from synth_assets_tests.support.paths import PROJECT_DATA

SEEDS = PROJECT_DATA / "seeds" / "math_problems.jsonl"


@pytest.mark.parametrize(
    ("trace", "answer"),
    [
        # GSM8K's own form: calculator notes beside the text
        ("Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips.\n#### 72", "72"),
        (
            "First, 3 boxes hold 4 pencils each: 3 * 4 = 12. Then she buys 8 more: 12 + 8 = 20. "
            "Finally she gives away 5: 20 - 5 = 15. So she has 15 pencils left.",
            "15",
        ),
        ("Billy ran 7 minus 6 equals 1 more mile.\n#### 1", "1"),  # arithmetic in words
        ("She saves 20% of 50 = 10 dollars.\n#### 10", "10"),
        ("The total is $1,200.50 + $34 = $1,234.50.\nThe answer is 1234.5", "1234.5"),
        ("Each gets 400 / 3 = 133.33 dollars.\n#### 133.33", "133.33"),  # rounded as written
        ("She spent 5 + 3 = 8 + 2 = 10 dollars.\n#### 10", "10"),  # a running chain
        ("The lot has 8 * 2 + 4 * 5 = 16 + 20 = 36 tires.\n#### 36", "36"),
        ("8 people eat 1 1/2 rolls each, 8 x 1 1/2 = 12 rolls.\n#### 12", "12"),
        ("Day 4: 2(50+100) = 300 eggs.\n#### 300", "300"),
        ("Each bag weighs 7kg so 46 bags weigh 46*7kg = 322kg.\n#### 322", "322"),
        ("She needs 2060/15 = 137.33 hours, so she works 138 hours.\n#### 138", "138"),  # rounded up
        ("We have 71 + -3 = 68 photos.\n#### 68", "68"),
        ("They will last him 560//10 = 56 nights.\n#### 56", "56"),  # floor division
        ("He should ride at least 25+1=26 times.\n#### 26", "26"),  # "times" after a result is no operator
        ("The unicorns make 12000 flowers/unicorn * 6 unicorns = 72,000 flowers.\n#### 72000", "72000"),
        ("It earns $5400/week * 4 weeks = $21600.\n#### 21600", "21600"),  # a rate's number
        ("The cars: 1 000 000 + 500 000 = 1 500 000 cars.\n#### 1500000", "1500000"),  # spaced thousands
        ("The father was 60 / 3/4 = 80 years old.\n#### 80", "80"),  # divided by a fraction
        ("Since 3/4 is equal to $15, then 1/4 is equal to $15/3 = $5.\n#### 5", "5"),  # a share, not a division
        ("Every 1% is equal to $7500/75% = $100.\n#### 100", "100"),  # percent read as a number
        ("Day 2:21-6=15 crickets.\n#### 15", "15"),  # no time of day
        ("So her snack is $20/40 = $0.50, 50 cents a serving.\n#### 50", "50"),  # in cents
        ("Let x be his age. 7 + x = 2 * x.\nSubtracting x from both sides, 7 = x.\n#### 7", "7"),  # value first
        ("Let x be the shirt. 300=x+(2x+9)\n300=3x+9\n291=3x\nx=<<97=97>>97$\n#### 97", "97"),
        ("After x years, 25+x = 2(6+x)\nSo -x = -13\nThus x = 13\n#### 13", "13"),
    ],
)
def test_right_derivations_pass(trace: str, answer: str) -> None:
    verdict = check_math_answer(trace, answer)
    assert verdict.passed, verdict.reason
    assert verdict.reason.endswith("derived step by step")


@pytest.mark.parametrize(
    ("trace", "answer", "why"),
    [
        ("#### 18", "18", "18 is not derived: the trace computes nothing"),
        (
            "Janet's ducks lay 16 eggs. She eats 3 and bakes with 4: 16 - 3 - 4 = 11 eggs.\n"
            "She sells them at $2 each: 9 * 2 = $18.\n#### 18",
            "18",
            "step 1: 16 - 3 - 4 = 11 is false (9)",
        ),
        ("It takes 2 bolts of blue fiber and half that much white: 2+1=18 bolts.\n#### 18", "18", "step 1: 2 + 1 = 18"),
        (
            "The train goes 400 km / 3 hours = 120 km an hour.\n#### 120",
            "120",
            "step 1: 400 / 3 = 120 is false (133.333)",
        ),
        ("70 gets rainy exoplanet ? - [ 62 gorgeous", "62", "62 is not derived: the trace computes nothing"),
        (
            "the package arrived on an your ate cost 5 x $ noun . each friend gets = 100 bill . # # 75 10",
            "10",
            "10 is not derived",
        ),
        ("He had 12 + 3 = 15 apples. Then 15 / 3 = 5 each.\n#### 15", "15", "the last step computes 5"),
        ("The snack is $20/40 = $0.50 per serving.\n#### 50", "50", "the last step computes"),  # no cents said
        ("After x years, 25+x = 2(6+x)\nThus x = 12\n#### 12", "12", "x = 12 does not solve step 1"),
        (
            "sold May. April clips Natalia and 48+24 48/2 = Natalia clips May. <<48/2=24>>24\n in altogether in\n"
            " sold <<48+24=72>>72 =\n#### 72",
            "72",
            "not text:",
        ),
    ],
)
def test_wrong_derivations_fail_saying_why(trace: str, answer: str, why: str) -> None:
    verdict = check_math_answer(trace, answer)
    assert not verdict.passed and verdict.extracted == answer  # the right number, found and refused
    assert why in verdict.reason, verdict.reason


def test_steps_are_read_in_the_order_written_notes_included() -> None:
    claims = claims_in("So 3 * 4 = <<3*4=12>>12 pens, and <<12+8=20>>20 in all: 12 + 8 = 20.").claims
    assert [(c.expression, c.stated_text) for c in claims] == [
        ("3 * 4", "12"),
        ("3 * 4", "12"),
        ("12 + 8", "20"),
        ("12 + 8", "20"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Let x be the cost. Then 4 * x + 600 = 10000.",  # algebra in an unknown: not arithmetic
        "1 hour = 60 minutes",  # a unit conversion, not an operation
        "He left at 0900 - 0130 = 0730 hours.",  # clock times
        "We know 100 = A + 2A + 3A, so 100/5 = 5A/5",  # = 5A continues as algebra
        "He arrived at 7:50 + 30 minutes = 8:20 a.m.",  # times of day
        "So 60 kW would cost = $0.10 * 60",  # the result on the left is algebra's form, not prose's
    ],
)
def test_what_is_not_an_arithmetic_step_is_not_judged(text: str) -> None:
    assert claims_in(text).claims == ()


def test_every_authored_math_seed_derives_its_answer() -> None:
    """Recall on the solutions the project ships (GSM8K's figures: bench/verifier_bench.py)."""
    seeds = [json.loads(line) for line in SEEDS.read_text().splitlines()]
    refused = [(s["id"], v.reason) for s in seeds if not (v := check_math_answer(s["solution"], s["answer"])).passed]
    assert refused == [] and len(seeds) == 160


def test_shuffled_seed_solutions_fail_and_the_word_order_test_sees_most_of_them() -> None:
    """The seeds' words shuffled, the answer appended: none passes (the broken steps or the word
    order give each away), and the word-order test alone flags most even of these short texts."""
    seeds = [json.loads(line) for line in SEEDS.read_text().splitlines()]
    rng = random.Random(0)
    shuffled = []
    for seed in seeds:
        words = re.findall(r"\S+|\n", seed["solution"].rsplit("####", 1)[0])
        rng.shuffle(words)
        shuffled.append(" ".join(words) + f"\n#### {seed['answer']}")
    assert not any(check_math_answer(t, s["answer"]).passed for t, s in zip(shuffled, seeds, strict=True))
    flagged = sum(order_violations(t) > MAX_VIOLATIONS for t in shuffled)
    assert flagged >= 0.7 * len(seeds), flagged  # 120 of 160 one- and two-sentence solutions
    assert all(order_violations(s["solution"]) <= MAX_VIOLATIONS for s in seeds)


def test_a_sample_that_derives_nothing_casts_no_vote() -> None:
    assert derived_answer("So 6 * 7 = 42 marbles.\nThe answer is 42.") == ("42", None)
    assert derived_answer("The answer is 42.") == (None, "42 is not derived: the trace computes nothing")
    answer, why = derived_answer("So 6 * 7 = 41 marbles.\nThe answer is 41.")
    assert answer is None and why == "step 1: 6 * 7 = 41 is false (42)"


def test_exact_arithmetic_no_float_error() -> None:
    [claim] = claims_in("0.1 + 0.2 = 0.3").claims
    assert claim.holds and claim.value == Fraction(3, 10)


@pytest.mark.parametrize(
    ("text", "violations"),
    [
        ("The house is 3500 sq. ft. in total. Mr. and Mrs. Lee paid.", 0),  # abbreviations end nothing
        ("Class A has 20 people and Packet A is 192.\nx+4=25\nx = 21", 0),  # labels and unknowns
        ("Let H = distance Hiro walked.\nGretchen bowled a 120 + Mitzi bowled a 113.", 0),
        ("He paid 5 + the rest.", 1),  # an operator with no operand after it
        ("Sold 18 = = cups + to friends.", 3),
        ("so much the. she went home.", 2),  # a line and a sentence starting in lowercase
    ],
)
def test_word_order_reads_what_right_text_does_and_flags_what_shuffles_make(text: str, violations: int) -> None:
    assert order_violations(text) == violations
