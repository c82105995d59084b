"""preference_pairs: (prompt, chosen, rejected) for DPO, from tasks whose traces were checked
against ground truth and came out both ways. The chosen trace passed; the rejected one failed or
had no answer. Each rejected trace is used once, the chosen ones in turn.

A stage like the others: declared, contract-checked, a node of `lineage_nodes`, so a pair's id
from `dpo.jsonl` audits back through both traces to the human seeds."""

from __future__ import annotations

from itertools import cycle

import pandas as pd

from synth_assets.core.rows import nullable
from synth_assets.core.turns import user_turn
from synth_assets.stages import schemas
from synth_assets.stages.row_frames import RowScope, frame
from synth_assets.stages.spec import Parent, Preview, StageResult, StageRun, StageSpec
from synth_assets.verify.verdicts import RATE_VERIFIERS, Verdict

NAME = "preference_pairs"
REJECTED = (Verdict.FAILED.value, Verdict.NO_ANSWER.value)


def preference_pairs(filtered: pd.DataFrame, scope: RowScope, max_pairs_per_task: int = 4) -> pd.DataFrame:
    rows = []
    checked = filtered[filtered["verifier"].isin(RATE_VERIFIERS)]
    for task_id, traces in checked.sort_values(["task_id", "sample_index"]).groupby("task_id", sort=True):
        chosen = traces[(traces["verdict"] == Verdict.PASSED.value) & traces["kept"]].to_dict("records")
        answered = traces["error"].isna() & (traces["response"].fillna("").str.strip() != "")
        rejected = traces[traces["verdict"].isin(REJECTED) & answered].to_dict("records")
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


def _compute(run: StageRun) -> StageResult:
    filtered = run["filtered_set"]
    df = preference_pairs(filtered, run.scope)
    checked = filtered[filtered["verifier"].isin(RATE_VERIFIERS)]
    return StageResult(
        df,
        {
            "pairs": Preview(df, ("task_id", "prompt", "chosen", "rejected"), 5),
            "tasks_paired": int(df["task_id"].nunique()) if len(df) else 0,
            "tasks_checked": int(checked["task_id"].nunique()),
        },
    )


STAGE = StageSpec(
    name=NAME,
    description="(prompt, chosen, rejected) for DPO: per task checked against ground truth, a passing trace "
    "that survived the funnel against a trace that failed verification.",
    schema=schemas.PREFERENCE_PAIRS,
    parents=(Parent("filtered_set"),),
    compute=_compute,
    config=lambda exp: None,
)
