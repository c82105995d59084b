"""dialogues: a share of the round's kept synthetic answers grown into multi-turn conversations.
A simulated user (the generator, told to clarify, challenge or extend) writes each follow-up and
the assistant answers the whole conversation so far, `dialogue.follow_ups` times. One row per
conversation, all of it in `messages`; complete ones become `dialogue_sft.jsonl` in the round's
training files. A conversation that stopped short says where and why (`failure`)."""

from __future__ import annotations

import json

import pandas as pd

from synth_assets.config.experiments import Experiment
from synth_assets.core.rows import nullable, prompt_hash
from synth_assets.core.turns import user_turn
from synth_assets.generate.dialogue.conversation import Dialogue, grow
from synth_assets.llm.base import ProgressFn, TextGenerator
from synth_assets.llm.tools import Turn
from synth_assets.mix.regimes import sample
from synth_assets.stages import schemas
from synth_assets.stages.responses import kept_synthetic
from synth_assets.stages.row_frames import RowScope, frame, task_fields
from synth_assets.stages.spec import Parent, Preview, StageResult, StageRun, StageSpec

NAME = "dialogues"


def to_continue(filtered: pd.DataFrame, exp: Experiment, round_: int) -> pd.DataFrame:
    kept = kept_synthetic(filtered)
    return sample(kept, round(exp.dialogue.share * len(kept)), exp.seed, round_, NAME)


def converse(
    traces: pd.DataFrame, exp: Experiment, scope: RowScope, generator: TextGenerator, progress: ProgressFn | None = None
) -> pd.DataFrame:
    records = traces.to_dict("records")
    dialogues = [
        Dialogue(t["id"], user_turn(t["instruction"], nullable(t["input"])), [Turn("assistant", t["response"])])
        for t in records
    ]
    grow(dialogues, generator, exp.generator, exp.dialogue.follow_ups, exp.seed + exp.generator.seed, progress)
    rows = []
    for trace, d in zip(records, dialogues, strict=True):
        chat = [{"role": "user", "content": d.prompt}] + [{"role": t.role, "content": t.content} for t in d.turns]
        content = {**task_fields(trace), "task_id": trace["task_id"], "messages": json.dumps(chat, ensure_ascii=False)}
        extra = {
            "user_turns": sum(m["role"] == "user" for m in chat),
            "moves": json.dumps(d.moves),
            "failure": d.failure,
        }
        rows.append(
            scope.row([trace["id"]], content, extra, generator=generator.label, prompt_hash=prompt_hash(d.prompt))
        )
    return frame(rows, schemas.DIALOGUES)


def _compute(run: StageRun) -> StageResult:
    exp, filtered = run.experiment, run["filtered_set"]
    traces = to_continue(filtered, exp, run.round_)
    if traces.empty:
        df = frame([], schemas.DIALOGUES)
    else:
        with run.models.for_role("generator") as gen:
            df = converse(traces, exp, run.scope, gen, run.progress("dialogue turns"))
    complete = int(df["failure"].isna().sum()) if len(df) else 0
    moves = pd.Series([m for ms in df["moves"] for m in json.loads(ms)], dtype="object")
    return StageResult(
        df,
        {
            "dialogues": len(df),
            "complete": complete,
            "moves": {str(k): int(v) for k, v in moves.value_counts().sort_index().items()},
            "rows": Preview(df, ("instruction", "user_turns", "moves", "failure"), 5),
        },
    )


STAGE = StageSpec(
    name=NAME,
    description="Kept answers grown into multi-turn conversations: a simulated user follows up (clarify, "
    "challenge, extend) and the assistant answers, dialogue.follow_ups times; one row per conversation.",
    schema=schemas.DIALOGUES,
    parents=(Parent("filtered_set"),),
    compute=_compute,
    config=lambda exp: (exp.dialogue, exp.generator, exp.seed),
    generates=True,
)
