"""seed_set: the round's in-context pool.

Round 0 is every human seed row. Round r > 0 is the previous round's final_mix of the same
experiment, so the generator sees what the last round trained on (in-context recursion).
"""

from __future__ import annotations

import pandas as pd

from synth_assets.stages._rows import frame, make_row, nullable, task_fields


def pool_from(source: pd.DataFrame, experiment: str, round_: int, run_id: str) -> pd.DataFrame:
    rows = [
        make_row(
            "seed_set",
            experiment,
            round_,
            [src["id"]],
            src["origin"],
            nullable(src["generator"]),
            nullable(src["prompt_hash"]),
            run_id,
            {**{k: nullable(v) for k, v in task_fields(src).items()}, "response": src["response"]},
        )
        for src in source.to_dict("records")
    ]
    return frame(rows, "SEED_SET")
