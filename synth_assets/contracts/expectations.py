"""Great Expectations suites for the stage tables, run on in-memory DataFrames.

Checks that span tables (parents exist upstream, held-out rows absent) become derived boolean
columns first, so every rule is an ordinary expectation with an observed value and a failing
sample that the UI can show.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import dagster as dg
import great_expectations as gx
import pandas as pd
from great_expectations import expectations as gxe
from great_expectations.expectations.row_conditions import Column

from synth_assets.filters.funnel import STEP_NAMES
from synth_assets.verify.ground_truth import VERIFIER_NAMES
from synth_assets.verify.verdicts import VERDICTS

SAMPLE = 5


@dataclass(frozen=True)
class Outcome:
    expectation: str
    column: str | None
    success: bool
    observed: Any
    unexpected: int | None
    sample: list[Any]


@lru_cache(maxsize=1)
def _context() -> Any:
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = gx.data_context.types.base.ProgressBarsConfig(globally=False)
    return ctx


def contract_suite(
    schema: dg.TableSchema, partitioned: bool, human: bool = False, derived: tuple[str, ...] = ()
) -> list[gxe.Expectation]:
    """The rules follow from the declared columns: a table with `verdict` gets the verdict
    domains, one with `drop_reason` the funnel's steps, one with `prompt`, `chosen` and
    `rejected` (preference pairs) non-empty texts; `human` tables only human rows. `derived`:
    columns `with_derived` added to the frame, so one validation covers both suites."""
    cols = [c.name for c in schema.columns]
    # Failed generation calls are kept as rows with `failure` set and no instruction.
    tasks_only = {"row_condition": Column("failure").is_null()} if "failure" in cols else {}
    suite: list[gxe.Expectation] = [
        gxe.ExpectTableColumnsToMatchSet(column_set=[*cols, *derived], exact_match=True),
        gxe.ExpectColumnValuesToNotBeNull(column="id"),
        gxe.ExpectColumnValuesToBeUnique(column="id"),
        gxe.ExpectColumnValuesToBeInSet(column="origin", value_set=["human", "synthetic"]),
        gxe.ExpectColumnValuesToNotBeNull(column="run_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="generator", row_condition=Column("origin") == "synthetic"),
    ]
    # the text a row trains on: a task's instruction, or a preference pair's prompt and answers
    for text in [c for c in ("instruction", "prompt", "chosen", "rejected") if c in cols]:
        only = tasks_only if text == "instruction" else {}
        suite += [
            gxe.ExpectColumnValuesToNotBeNull(column=text, **only),
            gxe.ExpectColumnValueLengthsToBeBetween(column=text, min_value=1, **only),
        ]
    if partitioned:
        suite += [
            gxe.ExpectColumnValuesToNotBeNull(column="experiment"),
            gxe.ExpectColumnValuesToNotBeNull(column="round"),
        ]
    if "verdict" in cols:
        suite += [
            gxe.ExpectColumnValuesToBeInSet(column="verdict", value_set=list(VERDICTS)),
            gxe.ExpectColumnValuesToBeInSet(column="verifier", value_set=list(VERIFIER_NAMES)),
        ]
    if "drop_reason" in cols:
        suite += [
            gxe.ExpectColumnValuesToNotBeNull(column="kept"),
            gxe.ExpectColumnValuesToBeInSet(column="drop_reason", value_set=list(STEP_NAMES)),
        ]
    if human:
        suite += [
            gxe.ExpectColumnValuesToBeInSet(column="origin", value_set=["human"]),
            gxe.ExpectColumnValuesToBeNull(column="generator"),
        ]
    return suite


def parents_suite() -> list[gxe.Expectation]:
    """`missing_parents` lists, per row, parent ids found in no upstream table (empty when fine)."""
    return [gxe.ExpectColumnValuesToBeInSet(column="missing_parents", value_set=[""])]


def human_fraction_suite(target: float, tolerance: float) -> list[gxe.Expectation]:
    return [
        gxe.ExpectColumnMeanToBeBetween(
            column="is_human", min_value=max(0.0, target - tolerance), max_value=min(1.0, target + tolerance)
        )
    ]


def heldout_suite() -> list[gxe.Expectation]:
    """`heldout_instruction` holds the instruction of any row that is also a held-out task."""
    return [gxe.ExpectColumnValuesToBeInSet(column="heldout_instruction", value_set=[""])]


def with_derived(
    df: pd.DataFrame, upstream_ids: set[str] | None = None, heldout_keys: set[tuple[str, str]] | None = None
) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    if upstream_ids is not None:
        out["missing_parents"] = df["parent_ids"].map(
            lambda p: ",".join(sorted(set(p) - upstream_ids)) if len(p) else "<no parents>"
        )
    if "origin" in df.columns:
        out["is_human"] = (df["origin"] == "human").astype(float)
    if heldout_keys is not None:
        keys = zip(df["instruction"], df["input"].fillna(""), strict=True)
        out["heldout_instruction"] = [k[0] if k in heldout_keys else "" for k in keys]
    return out


def validate(df: pd.DataFrame, expectations: list[gxe.Expectation]) -> list[Outcome]:
    """An empty frame meets every row expectation by definition; only its columns are checked,
    here, as Great Expectations would (about 15 ms an expectation, and a round has stages an
    experiment leaves off)."""
    if df.empty:
        return [_columns_only(df, e) for e in expectations if isinstance(e, gxe.ExpectTableColumnsToMatchSet)]
    ctx = _context()
    name = f"b{uuid.uuid4().hex[:12]}"
    source = ctx.data_sources.add_pandas(name)
    try:
        batch = (
            source.add_dataframe_asset(name=name)
            .add_batch_definition_whole_dataframe(name)
            .get_batch(batch_parameters={"dataframe": df})
        )
        suite = gx.ExpectationSuite(name=name, expectations=list(expectations))
        # pass/fail first (40% cheaper); the observed values and failing samples only when something failed
        result = batch.validate(suite, result_format="BOOLEAN_ONLY")
        if not result.success:
            result = batch.validate(suite, result_format="SUMMARY")
    finally:
        ctx.data_sources.delete(name)
    return [_outcome(r) for r in result.results]


def _columns_only(df: pd.DataFrame, rule: gxe.ExpectTableColumnsToMatchSet) -> Outcome:
    expected, actual = set(rule.column_set or []), set(df.columns)
    ok = actual == expected if rule.exact_match else expected <= actual
    return Outcome(rule.expectation_type, None, ok, sorted(actual), None, sorted(actual ^ expected)[:SAMPLE])


def _outcome(r: Any) -> Outcome:
    cfg = r.expectation_config
    res = r.result or {}
    sample = [v for v in (res.get("partial_unexpected_list") or [])][:SAMPLE]
    return Outcome(
        cfg.type,
        cfg.kwargs.get("column"),
        bool(r.success),
        res.get("observed_value"),
        res.get("unexpected_count"),
        sample,
    )


def check_result(outcomes: list[Outcome], extra: dict[str, Any] | None = None) -> dg.AssetCheckResult:
    failed = [o for o in outcomes if not o.success]
    rows = "".join(
        f"| {'✅' if o.success else '❌'} | {o.expectation} | {o.column or ''} | {_short(o.observed)} | "
        f"{'' if o.unexpected is None else o.unexpected} | {_short(o.sample) if o.sample else ''} |\n"
        for o in outcomes
    )
    table = "| ok | expectation | column | observed | unexpected | failing sample |\n|---|---|---|---|---|---|\n" + rows
    return dg.AssetCheckResult(
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            "all expectations met"
            if not failed
            else "failed: " + ", ".join(f"{o.expectation}({o.column or ''})" for o in failed)
        ),
        metadata={
            "expectations": dg.MetadataValue.md(table),
            "failed_expectations": len(failed),
            "evaluated_expectations": len(outcomes),
            **(extra or {}),
        },
    )


def _short(value: Any) -> str:
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= 80 else text[:79] + "…"
