"""The suites on small planted frames, without Dagster."""

import pandas as pd

from synth_assets.contracts.expectations import (
    contract_suite,
    heldout_suite,
    human_fraction_suite,
    parents_suite,
    validate,
    with_derived,
)
from synth_assets.stages.schemas import FINAL_MIX, column_names


def _mix(n: int = 4, **overrides) -> pd.DataFrame:
    base = {c: [None] * n for c in column_names(FINAL_MIX)}
    base.update(
        experiment=["e"] * n,
        round=[1] * n,
        id=[f"fin-{i}" for i in range(n)],
        parent_ids=[["fil-1"]] * n,
        origin=["synthetic"] * n,
        generator=["llamacpp:m"] * n,
        run_id=["r"] * n,
        instruction=[f"task {i}" for i in range(n)],
        input=[""] * n,
    )
    base.update(overrides)
    return pd.DataFrame(base)


def _failed(outcomes) -> list[str]:
    return [f"{o.expectation}:{o.column}" for o in outcomes if not o.success]


def test_good_final_mix_passes_everything() -> None:
    df = _mix()
    derived = with_derived(df, {"fil-1"}, heldout_keys={("held", "")})
    outcomes = validate(df, contract_suite(FINAL_MIX, True)) + validate(
        derived, parents_suite() + heldout_suite() + human_fraction_suite(0.0, 0.02)
    )
    assert _failed(outcomes) == []


def test_each_planted_fault_fails_its_rule_with_a_sample() -> None:
    df = _mix(
        id=["fin-1", "fin-1", "fin-2", "fin-3"],
        origin=["synthetic", "human", "robot", "synthetic"],
        generator=[None, None, None, "m"],
        instruction=["held", "ok", "", "ok"],
    )
    outcomes = validate(df, contract_suite(FINAL_MIX, True))
    failed = _failed(outcomes)
    assert "expect_column_values_to_be_unique:id" in failed
    assert "expect_column_values_to_be_in_set:origin" in failed
    assert "expect_column_value_lengths_to_be_between:instruction" in failed
    assert "expect_column_values_to_not_be_null:generator" in failed  # synthetic rows need a generator
    [dupes] = [o for o in outcomes if o.expectation == "expect_column_values_to_be_unique"]
    assert dupes.unexpected == 2 and dupes.sample == ["fin-1", "fin-1"]

    derived = with_derived(df, {"fil-9"}, heldout_keys={("held", "")})
    derived_outcomes = validate(derived, parents_suite() + heldout_suite() + human_fraction_suite(0.0, 0.02))
    by_column = {o.column: o for o in derived_outcomes}
    assert by_column["missing_parents"].sample[0] == "fil-1"
    assert by_column["heldout_instruction"].sample == ["held"]
    assert not by_column["is_human"].success and by_column["is_human"].observed == 0.25


def test_schema_drift_is_caught() -> None:
    df = _mix().drop(columns=["prompt_hash"]).assign(extra=1)
    [first] = validate(df, contract_suite(FINAL_MIX, True))[:1]
    assert first.expectation == "expect_table_columns_to_match_set" and not first.success


def test_an_empty_partition_is_checked_for_its_columns_only() -> None:
    empty = _mix(0)
    derived = with_derived(empty, set(), heldout_keys=set())
    suite = contract_suite(FINAL_MIX, True, derived=tuple(derived.columns)) + parents_suite()
    whole = pd.concat([empty, derived], axis=1)
    assert [(o.expectation, o.success) for o in validate(whole, suite)] == [("expect_table_columns_to_match_set", True)]
    missing = validate(whole.drop(columns=["generator"]), suite)
    assert [(o.success, o.sample) for o in missing] == [(False, ["generator"])]
