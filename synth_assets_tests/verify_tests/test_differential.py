"""Code tested beyond its visible tests: mutants of the tests' own inputs, outputs compared with
the reference solution in the harness. The mutant the issue found passing (`<=` for `<` in
HumanEval/0) now fails, naming the input that tells it apart."""

from __future__ import annotations

import json

import pytest

from synth_assets.seeds.humaneval import humaneval_tasks
from synth_assets.verify import check_code
from synth_assets.verify.differential import MAX_INPUTS, MAX_SIZE, mutants, same_output, visible_inputs
from synth_assets_tests.support.requirements import needs_sandbox

TASKS = {t["id"]: t for t in humaneval_tasks(164)}
ZERO = TASKS["HumanEval/0"]


def test_the_visible_inputs_are_read_from_the_tests() -> None:
    inputs = visible_inputs(json.loads(ZERO["tests"])["test"])
    assert inputs[0] == [[1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3] and len(inputs) == 7
    assert visible_inputs("def check(candidate):\n    x = [1]\n    assert candidate(x) == 1\n") == []  # not literal


def test_mutants_are_seeded_new_distinct_and_small() -> None:
    visible = visible_inputs(json.loads(ZERO["tests"])["test"])
    first, again, other = mutants(visible, 0), mutants(visible, 0), mutants(visible, 1)
    assert first == again and first != other and len(first) == MAX_INPUTS
    assert not [m for m in first if m in visible] and len({json.dumps(m) for m in first}) == len(first)
    assert all(len(m[0]) <= MAX_SIZE and isinstance(m[1], float) for m in first)  # types kept


@pytest.mark.parametrize(
    ("expected", "got", "same"),
    [(0.1 + 0.2, 0.3, True), ([1, 2], (1, 2), True), (True, 1, True), ([1.0], [1.1], False), ("a", "b", False)],
)
def test_outputs_compare_as_the_tests_would(expected: object, got: object, same: bool) -> None:
    assert same_output(expected, got) is same


@needs_sandbox
def test_a_mutant_that_passes_the_tests_fails_naming_the_input() -> None:
    mutant = ZERO["solution"].replace("distance < threshold", "distance <= threshold")
    assert check_code(ZERO["prompt"], mutant, _tests_only(ZERO)).passed  # what main passed
    verdict = check_code(ZERO["prompt"], mutant, ZERO["tests"])
    assert verdict.status == "failed" and "passed its tests but differs: has_close_elements(" in verdict.reason
    assert "the reference returns False, the candidate True" in verdict.reason


@needs_sandbox
def test_the_reference_passes_and_says_how_many_inputs_agreed() -> None:
    verdict = check_code(ZERO["prompt"], ZERO["solution"], ZERO["tests"])
    assert verdict.passed and f"agreed with the reference on {MAX_INPUTS} more inputs" in verdict.reason


@needs_sandbox
def test_raising_where_the_reference_answers_is_a_difference() -> None:
    """A candidate that special-cases the visible inputs and gives up elsewhere."""
    tests = json.loads(ZERO["tests"])
    visible = visible_inputs(tests["test"])
    reference = {}
    exec(tests["reference_solution"], reference)
    table = {json.dumps(args): reference["has_close_elements"](*args) for args in visible}
    body = (
        f"import json\nTABLE = {table!r}\n"
        "def has_close_elements(numbers, threshold):\n"
        "    return TABLE[json.dumps([numbers, threshold])]\n"
    )
    assert check_code(ZERO["prompt"], f"```python\n{body}```", _tests_only(ZERO)).passed  # memorised the tests
    verdict = check_code(ZERO["prompt"], f"```python\n{body}```", ZERO["tests"])
    assert verdict.status == "failed" and "the candidate raised KeyError" in verdict.reason


@needs_sandbox
def test_inputs_outside_the_contract_are_not_held_against_anyone() -> None:
    """HumanEval/2 (truncate_number) asserts a positive input; mutants the reference refuses are
    skipped, and the right answer still passes."""
    task = TASKS["HumanEval/2"]
    verdict = check_code(task["prompt"], task["solution"], task["tests"])
    assert verdict.passed and "agreed with the reference on" in verdict.reason


def _tests_only(task: dict) -> str:
    data = json.loads(task["tests"])
    data.pop("reference_solution")
    return json.dumps(data)
