"""seed_set: the round's in-context pool.

Round 0 is every human seed row. Round r > 0 is the previous round's final_mix of the same
experiment, so the generator sees what the last round trained on (in-context recursion).
"""

from __future__ import annotations

import pandas as pd

from synth_assets.stages import schemas
from synth_assets.stages.row_frames import RowScope, frame
from synth_assets.stages.spec import Parent, StageResult, StageRun, StageSpec

NAME = "seed_set"


def pool_from(source: pd.DataFrame, scope: RowScope) -> pd.DataFrame:
    return frame(scope.copy_tasks(source), schemas.SEED_SET)


def _compute(run: StageRun) -> StageResult:
    if run.round_ == 0:
        source = run["human_seeds"]
    else:
        source = run.previous("final_mix")
        if source.empty:
            run.log.warning(f"the previous round's final_mix is empty: round {run.round_} has no in-context examples")
    return StageResult(pool_from(source, run.scope))


STAGE = StageSpec(
    name=NAME,
    description="The round's in-context pool: the human seeds in round 0, the previous round's final_mix "
    "of the same experiment after that (read through storage; see the `upstream_*` metadata).",
    schema=schemas.SEED_SET,
    parents=(
        Parent("human_seeds", partitioned=False, first_round_only=True),
        Parent("final_mix", round_offset=-1),
    ),
    compute=_compute,
    config=lambda exp: None,
)
