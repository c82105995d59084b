"""preference_pairs: (prompt, chosen, rejected) for DPO, from three sources, each row saying which:

- `verified`: tasks whose traces were checked against ground truth and came out both ways; the
  chosen trace passed, the rejected one failed or had no answer. Each rejected trace is used
  once, the chosen ones in turn.
- `constitutional`: a revision (chosen) over the response it revised (rejected), from
  `ai_preferences`; with `ai_feedback.drop_revisions_judge_rejects`, only those the feedback
  model preferred in both orders.
- `ai_feedback`: the response the feedback model chose in both orders over the other.

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


def preference_pairs(
    filtered: pd.DataFrame,
    scope: RowScope,
    feedback: pd.DataFrame | None = None,
    max_pairs_per_task: int = 4,
    drop_rejected_revisions: bool = False,
) -> pd.DataFrame:
    rows = verified_pairs(filtered, scope, max_pairs_per_task)
    if feedback is not None and len(feedback):
        rows += feedback_pairs(feedback, scope, drop_rejected_revisions)
    return frame(rows, schemas.PREFERENCE_PAIRS)


def verified_pairs(filtered: pd.DataFrame, scope: RowScope, max_pairs_per_task: int) -> list[dict]:
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
            content = {
                "source": "verified",
                "task_id": task_id,
                "prompt": prompt,
                "chosen": good["response"],
                "rejected": bad["response"],
            }
            extra = {
                "chosen_id": good["id"],
                "rejected_id": bad["id"],
                "chosen_evidence": good["evidence"],
                "rejected_evidence": bad["evidence"],
                "principle_id": None,
                "critique": None,
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
    return rows


def feedback_pairs(feedback: pd.DataFrame, scope: RowScope, drop_rejected_revisions: bool) -> list[dict]:
    """A pair per `ai_preferences` row that holds one; its parent is that row, whose parents are
    the responses and the principle."""
    made = feedback[feedback["failure"].isna()]
    labelled = made[(made["source"] == "constitutional") | made["preferred"].isin(["first", "second"])]
    if drop_rejected_revisions:
        labelled = labelled[(labelled["source"] != "constitutional") | (labelled["preferred"] == "second")]
    return [_feedback_pair(r, scope) for r in labelled.sort_values("id").to_dict("records")]


def _feedback_pair(r: dict, scope: RowScope) -> dict:
    second_wins = r["source"] == "constitutional" or r["preferred"] == "second"
    chosen, rejected = ("second", "first") if second_wins else ("first", "second")
    ids = {"first": r["first_id"], "second": r["second_id"] if r["source"] == "ai_feedback" else r["id"]}
    how = _feedback_evidence(r)
    content = {
        "source": r["source"],
        "task_id": r["task_id"],
        "prompt": r["prompt"],
        "chosen": r[chosen],
        "rejected": r[rejected],
    }
    extra = {
        "chosen_id": ids[chosen],
        "rejected_id": ids[rejected],
        "chosen_evidence": how,
        "rejected_evidence": how,
        "principle_id": r["principle_id"],
        "critique": nullable(r["critique"]),
    }
    return scope.row(
        [r["id"]], content, extra, generator=nullable(r["generator"]), prompt_hash=nullable(r["prompt_hash"])
    )


def _feedback_evidence(r: dict) -> str:
    who = {"first": "the original", "second": "the revision"} if r["source"] == "constitutional" else {}
    verdict = r["preferred"]
    if verdict in ("first", "second"):
        said = f"the feedback model chose {who.get(verdict, 'it')} in both orders"
    elif verdict == "inconsistent":
        said = "the feedback model's choice flipped when the order was swapped"
    else:
        said = "not labelled by the feedback model"
    base = (
        f"revised against principle {r['principle_id']!r}"
        if r["source"] == "constitutional"
        else (f"compared under principle {r['principle_id']!r}")
    )
    return f"{base}; {said}"


def _compute(run: StageRun) -> StageResult:
    filtered = run["filtered_set"]
    drop = run.experiment.ai_feedback.drop_revisions_judge_rejects
    df = preference_pairs(filtered, run.scope, run["ai_preferences"], drop_rejected_revisions=drop)
    checked = filtered[filtered["verifier"].isin(RATE_VERIFIERS)]
    return StageResult(
        df,
        {
            "pairs": Preview(df, ("source", "prompt", "chosen", "rejected"), 5),
            "pairs_by_source": {str(k): int(v) for k, v in df["source"].value_counts().sort_index().items()},
            "tasks_paired": int(df["task_id"].nunique()) if len(df) else 0,
            "tasks_checked": int(checked["task_id"].nunique()),
        },
    )


STAGE = StageSpec(
    name=NAME,
    description="(prompt, chosen, rejected) for DPO: a verified trace over one that failed verification, a "
    "constitutional revision over its original, and the feedback model's choice of two responses.",
    schema=schemas.PREFERENCE_PAIRS,
    parents=(Parent("filtered_set"), Parent("ai_preferences")),
    compute=_compute,
    config=lambda exp: exp.ai_feedback.drop_revisions_judge_rejects,
)
