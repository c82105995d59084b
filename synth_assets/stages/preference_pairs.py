"""preference_pairs: (prompt, chosen, rejected) for DPO, from tasks whose traces were checked
against ground truth and came out both ways. The chosen trace passed; the rejected one failed or
had no answer. Each rejected trace is used once, the chosen ones in turn."""

from __future__ import annotations

from itertools import cycle

import pandas as pd

from synth_assets import schemas
from synth_assets.core.rows import nullable
from synth_assets.core.turns import user_turn
from synth_assets.stages._rows import RowScope, frame
from synth_assets.verify.ground_truth import GROUND_TRUTH_NAMES

REJECTED = ("failed", "no_answer")


def preference_pairs(
    filtered: pd.DataFrame, experiment: str, round_: int, run_id: str, max_pairs_per_task: int = 4
) -> pd.DataFrame:
    scope = RowScope("preference_pairs", experiment, round_, run_id)
    rows = []
    checked = filtered[filtered["verifier"].isin(GROUND_TRUTH_NAMES)]
    for task_id, traces in checked.sort_values(["task_id", "sample_index"]).groupby("task_id", sort=True):
        chosen = traces[(traces["verdict"] == "passed") & traces["kept"]].to_dict("records")
        rejected = traces[traces["verdict"].isin(REJECTED) & traces["error"].isna()].to_dict("records")
        if not chosen or not rejected:
            continue
        for good, bad in list(zip(cycle(chosen), rejected, strict=False))[:max_pairs_per_task]:
            prompt = user_turn(good["instruction"], nullable(good["input"]))
            content = {"task_id": task_id, "prompt": prompt, "chosen": good["response"], "rejected": bad["response"]}
            extra = {
                "chosen_id": good["id"],
                "rejected_id": bad["id"],
                "chosen_evidence": good["evidence"],
                "rejected_evidence": bad["evidence"],
            }
            rows.append(
                scope.row(
                    [good["id"], bad["id"]],
                    content,
                    extra,
                    generator=nullable(good["generator"]),
                    prompt_hash=nullable(good["prompt_hash"]),
                )
            )
    return frame(rows, schemas.PREFERENCE_PAIRS)
