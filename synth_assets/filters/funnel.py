"""The filter funnel: named steps applied in order; each row records the first step that dropped
it, so every decision is explainable row by row and the counts always add up.

`STEPS` is the one registry: a step's position is its order, its name is the `drop_reason` it
writes, and the settings it reads are fields of `experiments.FilterConfig`. The check on
`drop_reason`, the funnel metadata and the `funnel_rollup` model are derived from it, so adding a
step is one function and one entry here (plus its field in FilterConfig if it has a setting).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from synth_assets.config.experiments import FilterConfig
from synth_assets.core.texts import training_texts
from synth_assets.core.turns import user_turn
from synth_assets.filters.diversity import farthest_point, farthest_point_vectors
from synth_assets.filters.heuristics import garbage_reason, self_instruct_reason
from synth_assets.filters.near_duplicates import near_duplicates
from synth_assets.filters.perplexity_band import PerplexityBand, fit_band
from synth_assets.filters.rouge_novelty import novelty_scores
from synth_assets.filters.semantic_duplicates import (
    SemanticDecision,
    clustered_duplicates,
    pool_duplicates,
)
from synth_assets.filters.text_rules import gives_up_reason, length_ok, normalized, word_count
from synth_assets.verify.constraints import without_constraints
from synth_assets.verify.ground_truth import is_reward_hacking
from synth_assets.verify.verdicts import RATE_VERIFIERS

DECISION_COLUMNS = (
    "kept", "drop_reason", "drop_detail", "novelty_rouge_l", "near_duplicate_of", "perplexity", "reward_score",
)  # fmt: skip


EmbedFn = Callable[[Sequence[str]], np.ndarray]
IfdFn = Callable[[Sequence[tuple[str, str]]], list[float]]  # (user turn, response) -> IFD


def _default_embed(texts: Sequence[str]) -> np.ndarray:
    from synth_assets.embed.models import embedder

    return embedder().embed(texts)


@dataclass
class Funnel:
    """The rows being filtered and what every step may read; `drop` marks rows for the step running.
    `pool` is the round's in-context pool (`id`, `instruction`, `response`)."""

    out: pd.DataFrame
    cfg: FilterConfig
    pool: pd.DataFrame
    human_texts: list[str] | None
    embed: EmbedFn = _default_embed
    ifd: IfdFn | None = None
    step: str = field(default="", init=False)
    _vectors: dict[object, np.ndarray] = field(default_factory=dict, init=False, repr=False)

    def drop(self, mask: pd.Series, detail: pd.Series | None = None) -> None:
        hit = mask & self.out["drop_reason"].isna()
        self.out.loc[hit, "drop_reason"] = self.step
        if detail is not None:
            self.out.loc[hit, "drop_detail"] = detail[hit]

    def alive(self) -> pd.Series:
        return self.out["drop_reason"].isna()

    @cached_property
    def reference(self) -> PerplexityBand:
        """The language model of the human rows and its band: the perplexity step and the
        `reference_lm` ranker read one model (the band's edges matter only to the former)."""
        return fit_band(self.human_texts or [], self.cfg.perplexity_band or (0.0, 1.0))

    @cached_property
    def generated(self) -> pd.Series:
        return self.out["task_source"] == "generated"

    @cached_property
    def prose(self) -> pd.Series:
        """Code is symbols by nature and its own checks are its tests."""
        return self.out["family"] != "code"

    def vectors(self, idx: pd.Index) -> np.ndarray:
        """Embeddings of the rows' keys, each row embedded once however many steps ask."""
        missing = [row for row in idx if row not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self.embed(self.keys.loc[missing].tolist()), strict=True))
        return np.stack([self._vectors[row] for row in idx]) if len(idx) else np.zeros((0, 0), dtype=np.float32)

    @cached_property
    def keys(self) -> pd.Series:
        return row_keys(self.out)

    @cached_property
    def pool_instructions(self) -> list[str]:
        return task_texts(self.pool).tolist()

    @cached_property
    def pool_vectors(self) -> np.ndarray:
        return self.embed(row_keys(self.pool).tolist()) if len(self.pool) else np.zeros((0, 0), dtype=np.float32)


def task_texts(rows: pd.DataFrame) -> pd.Series:
    """Instructions without the constraint sentences a task carries: novelty is about the task,
    and two tasks that share "Answer with at most 50 words." are not alike for it."""
    if "reference_answer" not in rows:
        return rows["instruction"]
    pairs = zip(rows["instruction"], rows["reference_answer"], strict=True)
    return pd.Series([without_constraints(i, r if isinstance(r, str) else None) for i, r in pairs], index=rows.index)


def row_keys(rows: pd.DataFrame) -> pd.Series:
    """What two rows must share to be the same example: task and response, normalised (the
    constraint sentences a task carries are boilerplate that would make different tasks look
    alike). Normalised text has no newline, so "\n" separates the fields unambiguously."""
    return task_texts(rows).map(normalized) + "\n" + rows["response"].fillna("").map(normalized)


@dataclass(frozen=True)
class Step:
    name: str
    description: str
    apply: Callable[[Funnel], None]


def _generation_error(f: Funnel) -> None:
    f.drop(
        f.out["error"].notna() | (f.out["response"].fillna("").str.strip() == ""),
        f.out["error"].fillna("empty response"),
    )


def _truncated(f: Funnel) -> None:
    f.drop(f.out["finish_reason"] == "length", _constant(f, "finish_reason 'length': cut off at max_tokens"))


def _constant(f: Funnel, detail: str) -> pd.Series:
    return pd.Series(detail, index=f.out.index, dtype=object)


def _reward_hacking(f: Funnel) -> None:
    f.drop(f.out["evidence"].map(is_reward_hacking).astype(bool), f.out["evidence"])


def _verification(f: Funnel) -> None:
    evidence = f.out["evidence"].fillna("").map(lambda e: f": {e}" if e else "")
    f.drop(f.out["verdict"].isin(["failed", "no_answer", "inconsistent"]), f.out["verdict"] + evidence)


def _unverified(f: Funnel) -> None:
    if f.cfg.verified_only:
        unchecked = ~f.out["verifier"].isin(RATE_VERIFIERS)
        f.drop(unchecked, f.out["verdict"] + ": no ground truth or constraints checked this row")


def _length(f: Funnel) -> None:
    cfg = f.cfg
    instruction_ok = _per_distinct(f.out["instruction"], lambda t: length_ok(t, cfg.min_words, cfg.max_words))
    words = f.out["instruction"].map(word_count)
    f.drop(
        f.generated & ~instruction_ok.astype(bool),
        words.map(lambda n: _outside("instruction", n, cfg.min_words, cfg.max_words)),
    )
    response = f.out["response"].fillna("")
    words = response.map(word_count)
    f.drop(
        ~response.map(lambda t: length_ok(t, 1, cfg.max_words * 4)),
        words.map(lambda n: _outside("response", n, 1, cfg.max_words * 4)),
    )


def _outside(field: str, words: int, low: int, high: int) -> str:
    return f"{field} has {words} words, outside {low}-{high}"


def _self_instruct_rules(f: Funnel) -> None:
    if f.cfg.self_instruct_rules:
        rule = _per_distinct(f.out["instruction"].where(f.generated), self_instruct_reason)
        f.drop(rule.notna(), rule)


def _garbage(f: Funnel) -> None:
    cfg = f.cfg
    junk = (f.out["instruction"] + "\n" + f.out["response"].fillna("")).map(
        lambda t: garbage_reason(t, cfg.min_unique_token_ratio, cfg.min_alpha_ratio)
    )
    f.drop(junk.notna() & (f.out["origin"] == "synthetic") & f.prose, junk)


def _gives_up(f: Funnel) -> None:
    reason = _per_distinct(f.out["response"].fillna(""), gives_up_reason)
    f.drop(reason.notna() & (f.out["origin"] == "synthetic") & f.prose, reason)


def _exact_duplicate(f: Funnel) -> None:
    alive = f.alive()
    keys = f.keys[alive]
    first = f.out.loc[keys.index, "id"].groupby(keys.to_numpy(), sort=False).first()  # key -> its first row's id
    detail = keys.map(first).map(lambda twin: f"the same normalised instruction and response as {twin}")
    f.drop(alive & f.keys.where(alive).duplicated(keep="first"), detail.reindex(f.out.index))


def _near_duplicate(f: Funnel) -> None:
    idx = f.out.index[f.alive()]
    decisions = near_duplicates(f.keys.loc[idx].tolist(), f.cfg.near_duplicate_threshold)
    _drop_twins(
        f, _twins(idx, decisions, f.out.loc[idx, "id"].to_numpy(), lambda d: f"Jaccard {d.jaccard:.2f} with a kept row")
    )


def _drop_twins(f: Funnel, twins: list[tuple[object, str, str]]) -> None:
    """Rows dropped as twins name the kept row's id (`near_duplicate_of`) and the similarity."""
    if not twins:
        return
    rows = [row for row, _, _ in twins]
    f.out.loc[rows, "drop_reason"] = f.step
    f.out.loc[rows, "near_duplicate_of"] = [twin for _, twin, _ in twins]
    f.out.loc[rows, "drop_detail"] = [detail for _, _, detail in twins]


def _semantic_duplicate(f: Funnel) -> None:
    """Paraphrases the word-set MinHash cannot see; off unless a threshold is configured. New
    tasks are first compared with the pool (a pool task re-solved is a repeat by design), then
    every row with the rows kept before it this round (within its k-means cluster when
    `semantic_duplicate_clusters` is set)."""
    threshold = f.cfg.semantic_duplicate_threshold
    if threshold is None:
        return
    new = f.out.index[f.alive() & f.generated]
    if len(new) and len(f.pool):
        decisions = pool_duplicates(f.vectors(new), f.pool_vectors, threshold)
        _drop_twins(f, _twins(new, decisions, f.pool["id"].to_numpy(), _cosine("pool row")))
    idx = f.out.index[f.alive()]
    decisions = clustered_duplicates(f.vectors(idx), threshold, f.cfg.semantic_duplicate_clusters or 1)
    _drop_twins(f, _twins(idx, decisions, f.out.loc[idx, "id"].to_numpy(), _cosine("a kept row")))


def _cosine(matched: str) -> Callable[[SemanticDecision], str]:
    return lambda d: f"cosine {d.cosine:.2f} with {matched} (embedding space)"


def _twins(
    rows: pd.Index, decisions: Sequence[Any], ids: np.ndarray, detail: Callable[[Any], str]
) -> list[tuple[object, str, str]]:
    """(row, the kept twin's id, `detail` of the decision) for every row a twin step dropped."""
    return [(row, ids[d.duplicate_of], detail(d)) for row, d in zip(rows, decisions, strict=True) if not d.kept]


def _rouge_novelty(f: Funnel) -> None:
    """Decided once per distinct task (first-seen order); all traces of a task share the verdict."""
    out, mask = f.out, f.generated & f.alive()
    tasks = out.loc[mask].drop_duplicates("task_id")
    decisions = novelty_scores(task_texts(tasks).tolist(), f.pool_instructions, f.cfg.rouge_threshold)
    keep = dict(zip(tasks["task_id"], (k for k, _ in decisions), strict=True))
    score = dict(zip(tasks["task_id"], (s for _, s in decisions), strict=True))
    task_ids = out.loc[mask, "task_id"]
    out.loc[mask, "novelty_rouge_l"] = task_ids.map(score)
    detail = task_ids.map(lambda t: f"ROUGE-L {score[t]:.2f} with the pool or an earlier task")
    f.drop(mask & ~task_ids.map(keep).reindex(out.index, fill_value=True).astype(bool), detail.reindex(out.index))


def _perplexity(f: Funnel) -> None:
    if not (f.cfg.perplexity_band and f.human_texts):
        return
    band = f.reference
    out, mask = f.out, f.alive() & (f.out["origin"] == "synthetic") & f.prose
    out.loc[mask, "perplexity"] = [band.perplexity(t) for t in training_texts(out.loc[mask])]
    reasons = out["perplexity"].map(lambda p: band.reason(p) if p == p else None)
    f.drop(mask & reasons.notna(), reasons)


def _judge_score(f: Funnel) -> None:
    threshold = f.cfg.judge_threshold
    if threshold is None or "judge_score" not in f.out:
        return
    scores = f.out["judge_score"]
    f.drop(scores.notna() & (scores < threshold), scores.map(lambda s: f"judge score {s:.0f} below {threshold:g}"))


def _reward_rank(f: Funnel) -> None:
    """Keep the top `reward_top_share` of each task family's rows by reward (the judge's score,
    or IFD, where an IFD of 1 or more is dropped first: the instruction does not help predict the
    response). The score is kept in `reward_score`; a row ranked out says its score and the cut."""
    scorer, share = f.cfg.reward_rank, f.cfg.reward_top_share
    if scorer is None:
        return
    mask = f.alive() & (f.out["origin"] == "synthetic")
    f.out.loc[mask, "reward_score"] = _reward_scores(f, mask)
    score = f.out["reward_score"]
    if scorer == "ifd":
        incoherent = mask & (score >= 1)
        f.drop(incoherent, score.map(lambda s: f"IFD {s:.3f} >= 1: the instruction does not help predict the response"))
    for family, rows in f.out[mask & f.alive()].groupby("family"):
        ranked = rows["reward_score"].sort_values(ascending=False, na_position="last", kind="stable")
        keep = math.ceil(share * len(ranked))
        cut = ranked.iloc[keep - 1] if keep else float("nan")
        out = ranked.index[keep:]
        said = f"below the top {share:.0%} of {family} (cut {cut:.3f})"
        detail = ranked.loc[out].map(lambda s, said=said: f"{scorer} {s:.3f} {said}")
        f.drop(f.out.index.isin(out), detail.reindex(f.out.index))


def _reward_scores(f: Funnel, mask: pd.Series) -> pd.Series:
    rows = f.out.loc[mask]
    if f.cfg.reward_rank == "judge":
        return rows["judge_score"] if "judge_score" in rows else pd.Series(float("nan"), index=rows.index)
    if f.cfg.reward_rank == "reference_lm":
        return _reference_scores(f, rows)
    if f.ifd is None:
        raise ValueError("filters.reward_rank 'ifd' needs a model to score with; none was given to the funnel")
    turns = [user_turn(i, t) for i, t in zip(rows["instruction"], rows["input"].fillna(""), strict=True)]
    return pd.Series(f.ifd(list(zip(turns, rows["response"].fillna(""), strict=True))), index=rows.index, dtype=float)


def _reference_scores(f: Funnel, rows: pd.DataFrame) -> pd.Series:
    """Minus the log perplexity under a language model of the human rows (the perplexity band's
    reference): higher is more like what people wrote. An imperfect verifier, offline and cheap."""
    if not f.human_texts:
        raise ValueError("filters.reward_rank 'reference_lm' needs the human rows to train its reference model on")
    scores = [-math.log(f.reference.perplexity(t)) for t in training_texts(rows)]
    return pd.Series(scores, index=rows.index, dtype=float)


def _diversity(f: Funnel) -> None:
    """Keep the `target_size` rows that spread widest; the rest name their distance to the kept set."""
    if f.cfg.target_size is None:
        return
    idx = f.out.index[f.alive()]
    if f.cfg.diversity_space == "embeddings":
        choice, measure = farthest_point_vectors(f.vectors(idx), f.cfg.target_size), "cosine"
    else:
        choice, measure = farthest_point(f.keys.loc[idx].tolist(), f.cfg.target_size), "Jaccard"
    chosen = {idx[i] for i in choice.selected}
    dropped = [(row, choice.distance[i]) for i, row in enumerate(idx) if row not in chosen]
    detail = pd.Series({row: f"{measure} distance {d:.2f} to the nearest kept row" for row, d in dropped}, dtype=object)
    f.drop(f.out.index.isin(detail.index), detail.reindex(f.out.index))


STEPS: tuple[Step, ...] = (
    Step("generation_error", "the call failed or returned nothing", _generation_error),
    Step("truncated", "cut off at max_tokens: an unfinished example", _truncated),
    Step("reward_hacking", "gamed its tests (see the verifier's evidence)", _reward_hacking),
    Step("verification", "failed, unanswered or inconsistent against its check", _verification),
    Step("unverified", "nothing checked it against ground truth (only with verified_only)", _unverified),
    Step("length", "instruction or response outside the word bounds", _length),
    Step("self_instruct_rules", "Self-Instruct's keyword and prefix rules on new tasks", _self_instruct_rules),
    Step("garbage", "loops or symbols instead of prose", _garbage),
    Step("gives_up", "an apology or refusal instead of an answer, or stop words only (Evol-Instruct)", _gives_up),
    Step("exact_duplicate", "the same normalised instruction and response as an earlier row", _exact_duplicate),
    Step("near_duplicate", "MinHash Jaccard above the threshold with a kept row", _near_duplicate),
    Step("semantic_duplicate", "a paraphrase of a kept row: embedding cosine above the threshold", _semantic_duplicate),
    Step("rouge_novelty", "ROUGE-L above the threshold with the pool or an earlier task", _rouge_novelty),
    Step("perplexity", "outside the human perplexity band", _perplexity),
    Step("judge_score", "the judge scored it below the threshold", _judge_score),
    Step(
        "reward_rank",
        "below the top share of its task family by reward (judge score, IFD or reference-model likelihood)",
        _reward_rank,
    ),
    Step("diversity", "not among the target_size rows that spread widest", _diversity),
)
STEP_NAMES: tuple[str, ...] = tuple(s.name for s in STEPS)


def run_funnel(
    traces: pd.DataFrame,
    pool: pd.DataFrame,
    cfg: FilterConfig,
    human_texts: list[str] | None = None,
    embed: EmbedFn | None = None,
    ifd: IfdFn | None = None,
) -> pd.DataFrame:
    """Adds the DECISION_COLUMNS to verified traces. `pool` is the round's in-context pool (`id`,
    `instruction`, `response`); `human_texts` trains the perplexity band's reference model;
    `embed` is the experiment's embedder (asked only when an embedding step is on; None: the
    packaged WordLlama)."""
    out = traces.copy()
    for column in ("drop_reason", "drop_detail", "near_duplicate_of"):
        out[column] = pd.Series([None] * len(out), dtype=object, index=out.index)
    out["novelty_rouge_l"] = float("nan")
    out["perplexity"] = float("nan")
    out["reward_score"] = float("nan")
    funnel = Funnel(out, cfg, pool, human_texts, embed or _default_embed, ifd)
    for step in STEPS:
        funnel.step = step.name
        step.apply(funnel)
    out["kept"] = out["drop_reason"].isna()
    return out


def _per_distinct(values: pd.Series, fn: Callable[[str], object]) -> pd.Series:
    """`fn` once per distinct value: the k traces of a task share its instruction."""
    distinct = values.dropna().unique()
    return values.map(dict(zip(distinct, map(fn, distinct), strict=True)))


def funnel_counts(filtered: pd.DataFrame) -> dict[str, int]:
    """Rows entering, dropped by each step in order, and kept: entering = sum(dropped) + kept."""
    counts = {"entering": len(filtered)}
    counts.update({f"dropped:{s}": int((filtered["drop_reason"] == s).sum()) for s in STEP_NAMES})
    counts["kept"] = int(filtered["kept"].sum())
    return counts


def rollup_sql(table: str = "main.filtered_set") -> str:
    """The `funnel_rollup` model: one column per step, in funnel order."""
    steps = "".join(f"    count(*) filter (where drop_reason = '{s}') as {s},\n" for s in STEP_NAMES)
    return (
        "select\n    experiment,\n    round,\n    count(*) as entering,\n"
        f"{steps}    count(*) filter (where kept) as kept\nfrom {table}\ngroup by all\norder by experiment, round\n"
    )
