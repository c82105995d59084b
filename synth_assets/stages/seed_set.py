"""seed_set: the round's in-context pool.

Round 0 is every human seed row. Round r > 0 is the previous round's final_mix of the same
experiment, so the generator sees what the last round trained on (in-context recursion).
"""

from __future__ import annotations

import pandas as pd

from synth_assets.stages._rows import copy_task_rows


def pool_from(source: pd.DataFrame, experiment: str, round_: int, run_id: str) -> pd.DataFrame:
    return copy_task_rows("seed_set", source, experiment, round_, run_id, "SEED_SET")
