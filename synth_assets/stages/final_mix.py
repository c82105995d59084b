"""final_mix: the round's training rows, human and synthetic, mixed by the experiment's regime."""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd

from synth_assets.config.experiments import Experiment
from synth_assets.mix.regimes import MixPlan, plan, row_weights, select
from synth_assets.stages import schemas
from synth_assets.stages.row_frames import RowScope, frame
from synth_assets.stages.spec import Parent, Preview, StageResult, StageRun, StageSpec

NAME = "final_mix"


def compose_mix(
    exp: Experiment,
    scope: RowScope,
    human: pd.DataFrame,
    filtered: pd.DataFrame,
    previous: pd.DataFrame | None,
) -> tuple[pd.DataFrame, MixPlan]:
    round_ = scope.round_
    synthetic = filtered[filtered["kept"].astype(bool)]
    carried = previous if exp.regime == "accumulate" and round_ > 0 else None
    mix_plan = plan(
        exp.regime,
        exp.sizes.mix_size,
        exp.human_fraction,
        len(human),
        len(synthetic),
        carried=len(carried) if carried is not None else 0,
    )
    chosen = select(mix_plan, human, synthetic, carried, exp.seed, round_, "mix")
    df = frame(scope.copy_tasks(chosen), schemas.FINAL_MIX)
    # mean 1 over the mix: an unweighted mix is all 1.0, and a carried row's weight is recomputed
    df["weight"] = row_weights(df["origin"], exp.human_weight) * len(df)
    return df, mix_plan


def _compute(run: StageRun) -> StageResult:
    exp = run.experiment
    previous = run.previous(NAME) if exp.regime == "accumulate" and run.round_ > 0 else None
    df, mix_plan = compose_mix(exp, run.scope, run["human_seeds"], run["filtered_set"], previous)
    if mix_plan.shortfall > 0:
        run.log.warning(
            f"only {mix_plan.synthetic} synthetic rows passed the filters; the regime asked for {exp.sizes.mix_size}"
        )
    synthetic = df[df["origin"] == "synthetic"]
    return StageResult(
        df,
        {
            "regime": exp.regime,
            **({"human_weight": exp.human_weight} if exp.human_weight is not None else {}),
            "human_fraction": round(float((df["origin"] == "human").mean()) if len(df) else 0.0, 4),
            "plan": asdict(mix_plan),
            "sample_synthetic": Preview(synthetic, ("id", "instruction", "response"), 5),
        },
    )


STAGE = StageSpec(
    name=NAME,
    description="The round's training rows: human and synthetic mixed by the experiment's regime.",
    schema=schemas.FINAL_MIX,
    parents=(
        Parent("filtered_set", kept_only=True),
        Parent("human_seeds", partitioned=False),
        Parent(NAME, round_offset=-1),
    ),
    compute=_compute,
    config=lambda exp: (exp.regime, exp.human_fraction, exp.human_weight, exp.sizes.mix_size, exp.seed),
)
