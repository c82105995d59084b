"""final_mix: the round's training rows, human and synthetic, mixed by the experiment's regime."""

from __future__ import annotations

import pandas as pd

from synth_assets.experiments import Experiment
from synth_assets.mix.regimes import MixPlan, plan, select
from synth_assets.stages._rows import copy_task_rows


def compose_mix(
    exp: Experiment,
    round_: int,
    human: pd.DataFrame,
    filtered: pd.DataFrame,
    previous: pd.DataFrame | None,
    run_id: str,
) -> tuple[pd.DataFrame, MixPlan]:
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
    return copy_task_rows("final_mix", chosen, exp.name, round_, run_id, "FINAL_MIX"), mix_plan
