"""ai_preferences: preference data no annotator wrote, from this round's responses.

- `constitutional` rows: a share of the kept synthetic responses is critiqued against a principle
  of the constitution and revised to meet it (Bai et al. 2022); a revision of a task with ground
  truth must pass its check like any trace; the feedback model then says, in both orders,
  whether the revision is better than the original.
- `ai_feedback` rows: for a share of the tasks with no ground truth and two answered responses,
  the feedback model picks the better one under a principle, asked twice with positions swapped
  (RLAIF); a choice that flips with the swap is `inconsistent`, not a label.

The generator writes critiques and revisions; the feedback model (the judge if the experiment
has one, else the generator) labels. A row that could not be made says why in `failure`, so the
share of revisions the judge prefers is counted over everything that was asked.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from dataclasses import replace

import pandas as pd

from synth_assets.config.experiments import Experiment
from synth_assets.core.rows import nullable, prompt_hash
from synth_assets.core.turns import user_turn
from synth_assets.generate.feedback.choice import Choice, Pair, choose
from synth_assets.generate.feedback.critique import Item, Revised, revise
from synth_assets.generate.feedback.principles import Principle, drawn, principles
from synth_assets.llm.base import ProgressFn, TextGenerator
from synth_assets.mix.regimes import sample
from synth_assets.stages import schemas
from synth_assets.stages.responses import answered, kept_synthetic
from synth_assets.stages.row_frames import RowScope, frame
from synth_assets.stages.spec import Parent, Preview, StageResult, StageRun, StageSpec
from synth_assets.verify.ground_truth import check_many, has_ground_truth
from synth_assets.verify.verdicts import RATE_VERIFIERS

NAME = "ai_preferences"


def to_revise(filtered: pd.DataFrame, exp: Experiment, round_: int) -> pd.DataFrame:
    """A seeded `revision_share` of the kept synthetic responses: those headed for training."""
    kept = kept_synthetic(filtered)
    return sample(kept, round(exp.ai_feedback.revision_share * len(kept)), exp.seed, round_, NAME, "revise")


def to_compare(filtered: pd.DataFrame, exp: Experiment, round_: int) -> list[tuple[dict, dict]]:
    """A seeded `comparison_share` of the tasks nothing could check against ground truth that have
    two different answered responses: their first two, by sample index."""
    open_tasks = answered(filtered[~filtered["verifier"].isin(RATE_VERIFIERS)])
    pairs = []
    for _, traces in open_tasks.sort_values(["task_id", "sample_index"]).groupby("task_id", sort=True):
        distinct = traces.drop_duplicates("response").to_dict("records")
        if len(distinct) >= 2:
            pairs.append((distinct[0], distinct[1]))
    share = exp.ai_feedback.comparison_share
    picked = sample(pd.DataFrame({"i": range(len(pairs))}), round(share * len(pairs)), exp.seed, round_, NAME, "pairs")
    return [pairs[i] for i in sorted(picked["i"])]


def constitutional_rows(
    traces: pd.DataFrame,
    constitution: list[Principle],
    models: tuple[TextGenerator, TextGenerator],
    exp: Experiment,
    scope: RowScope,
    progress: ProgressFn | None = None,
) -> list[dict]:
    """`models` is (writer, labeller): the generator revises, the feedback model judges."""
    writer, labeller = models
    cfg, seed = exp.ai_feedback, exp.seed + exp.generator.seed
    records = traces.to_dict("records")
    items = [
        Item(_task(t), t["response"], drawn(constitution, exp.seed, scope.round_, t["id"], "principle"), t["id"])
        for t in records
    ]
    revised = revise(items, writer, exp.generator, cfg.max_tokens, seed, progress)
    revised = held_to_ground_truth(records, revised, exp)
    done = [(i, r) for i, r in zip(items, revised, strict=True) if r.failure is None]
    pairs = [Pair(i.task, i.response, r.revision, i.principle.comparison, i.key) for i, r in done]
    choices = dict(zip([i.key for i, _ in done], _label(pairs, labeller, exp), strict=True))
    return [
        _constitutional_row(scope, t, i, r, choices.get(i.key), writer.label)
        for t, i, r in zip(records, items, revised, strict=True)
    ]


def held_to_ground_truth(traces: list[dict], revised: list[Revised], exp: Experiment) -> list[Revised]:
    """A revision of a task with ground truth is checked like any trace, and one that does not
    pass is no `chosen`: rewriting a verified answer into a wrong one (seen on the embedded model:
    a right `#### 80` revised to `123`) would teach the opposite of what the pair claims."""
    todo = [
        (k, t) for k, (t, r) in enumerate(zip(traces, revised, strict=True))
        if r.failure is None and has_ground_truth(t["family"], nullable(t["reference_answer"]))
    ]  # fmt: skip
    items = [(t["family"], t["instruction"], revised[k].revision, t["reference_answer"]) for k, t in todo]
    out = list(revised)
    for (k, _), verdict in zip(todo, check_many(items, exp.verify.sandbox_policy()), strict=True):
        if not verdict.passed:
            failure = f"revision: {verdict.verdict} against ground truth ({verdict.evidence[:160]})"
            out[k] = replace(revised[k], failure=failure)
    return out


def comparison_rows(
    pairs: list[tuple[dict, dict]], constitution: list[Principle], labeller: TextGenerator, exp: Experiment,
    scope: RowScope,
) -> list[dict]:  # fmt: skip
    asked = [(a, b, drawn(constitution, exp.seed, scope.round_, a["id"], b["id"], "principle")) for a, b in pairs]
    questions = [
        Pair(_task(a), a["response"], b["response"], p.comparison, f"{a['id']}/{b['id']}") for a, b, p in asked
    ]
    choices = _label(questions, labeller, exp)
    rows = []
    for (a, b, principle), choice in zip(asked, choices, strict=True):
        content = {
            **_head("ai_feedback", a, principle),
            "first_id": a["id"],
            "first": a["response"],
            "second_id": b["id"],
            "second": b["response"],
        }
        extra = {"critique": None, **_verdict(choice)}
        rows.append(scope.row([a["id"], b["id"], principle.row_id], content, extra, generator=labeller.label))
    return rows


def _label(pairs: list[Pair], labeller: TextGenerator, exp: Experiment) -> list[Choice]:
    cfg = exp.judge or exp.generator
    return choose(pairs, labeller, cfg, exp.ai_feedback.max_tokens, exp.seed + cfg.seed) if pairs else []


def _task(trace: dict) -> str:
    return user_turn(trace["instruction"], trace["input"] or None)


def _head(source: str, trace: dict, principle: Principle) -> dict:
    return {"source": source, "task_id": trace["task_id"], "prompt": _task(trace), "principle_id": principle.id}


def _verdict(choice: Choice | None) -> dict:
    if choice is None:
        return {"preferred": None, "votes": None}
    votes = {"orders": list(choice.votes), "reasons": list(choice.reasons)}
    if choice.failure:
        votes = {"failure": choice.failure}
    return {"preferred": choice.preferred, "votes": json.dumps(votes, ensure_ascii=False)}


def _constitutional_row(
    scope: RowScope, trace: dict, item: Item, revised: Revised, choice: Choice | None, writer: str
) -> dict:
    content = {
        **_head("constitutional", trace, item.principle),
        "first_id": trace["id"],
        "first": trace["response"],
        "second": revised.revision or None,
    }
    extra = {"second_id": None, "critique": revised.critique or None, **_verdict(choice), "failure": revised.failure}
    hashed = prompt_hash(revised.prompt) if revised.prompt else None
    return scope.row([trace["id"], item.principle.row_id], content, extra, generator=writer, prompt_hash=hashed)


def preference_stats(df: pd.DataFrame) -> dict[str, int | float]:
    """Per source: asked, made, labelled each way; for revisions, the share the feedback model
    preferred over their originals (of those it judged in both orders)."""
    out: dict[str, int | float] = {}
    for source in ("constitutional", "ai_feedback"):
        rows = df[df["source"] == source]
        made = rows[rows["failure"].isna()]
        out[f"{source}_asked"] = len(rows)
        out[f"{source}_failed"] = len(rows) - len(made)
        for side in ("first", "second", "inconsistent"):
            out[f"{source}_{side}"] = int((made["preferred"] == side).sum())
    judged = out["constitutional_first"] + out["constitutional_second"] + out["constitutional_inconsistent"]
    out["revisions_preferred"] = round(out["constitutional_second"] / judged, 4) if judged else float("nan")
    return out


def _compute(run: StageRun) -> StageResult:
    exp, filtered = run.experiment, run["filtered_set"]
    rows: list[dict] = []
    revise_rows, compare_pairs = filtered.iloc[0:0], []
    if exp.ai_feedback.enabled:  # off: no pairs to build, no constitution to parse
        constitution = principles(run["constitution"])
        revise_rows, compare_pairs = to_revise(filtered, exp, run.round_), to_compare(filtered, exp, run.round_)
    if len(revise_rows) or compare_pairs:
        with ExitStack() as stack:
            writer = stack.enter_context(run.models.for_role("generator"))
            labeller = stack.enter_context(run.models.for_role("judge")) if exp.judge else writer
            if len(revise_rows):
                progress = run.progress("critiques and revisions")
                rows += constitutional_rows(revise_rows, constitution, (writer, labeller), exp, run.scope, progress)
            rows += comparison_rows(compare_pairs, constitution, labeller, exp, run.scope)
    df = frame(rows, schemas.AI_PREFERENCES)
    stats = preference_stats(df)
    columns = ("source", "principle_id", "first", "second", "preferred", "failure")
    return StageResult(df, {"feedback": stats, "revisions_preferred": stats["revisions_preferred"],
                            "rows": Preview(df, columns, 5)})  # fmt: skip


STAGE = StageSpec(
    name=NAME,
    description="Preference data without annotators: responses critiqued and revised against a principle of the "
    "constitution (Constitutional AI), and pairs of responses labelled by the feedback model in both orders (RLAIF).",
    schema=schemas.AI_PREFERENCES,
    parents=(Parent("filtered_set"), Parent("constitution", partitioned=False)),
    compute=_compute,
    config=lambda exp: (exp.ai_feedback, exp.generator, exp.judge, exp.seed),
    generates=True,
    judges=True,
)
