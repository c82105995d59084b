"""The filter funnel: named steps applied in order; each row records the first step that dropped
it, so every decision is explainable row by row and the counts always add up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from synth_assets.collapse.texts import training_texts
from synth_assets.filters.diversity import farthest_point
from synth_assets.filters.heuristics import garbage_reason, self_instruct_reason
from synth_assets.filters.near_duplicates import near_duplicates
from synth_assets.filters.perplexity_band import PerplexityBand, fit_band
from synth_assets.filters.rouge_novelty import novelty_scores
from synth_assets.filters.text_rules import length_ok, normalized
from synth_assets.verify.ground_truth import is_reward_hacking

STEPS = (
    "generation_error",
    "truncated",
    "reward_hacking",
    "verification",
    "length",
    "self_instruct_rules",
    "garbage",
    "exact_duplicate",
    "near_duplicate",
    "rouge_novelty",
    "perplexity",
    "judge_score",
    "diversity",
)


DropFn = Callable[[pd.Series, str, "pd.Series | None"], None]


@dataclass(frozen=True)
class FunnelConfig:
    rouge_threshold: float = 0.7
    min_words: int = 3
    max_words: int = 150
    near_duplicate_threshold: float = 0.8
    self_instruct_rules: bool = True
    min_unique_token_ratio: float = 0.3
    min_alpha_ratio: float = 0.5
    perplexity_quantiles: tuple[float, float] | None = None
    judge_threshold: float | None = None
    target_size: int | None = None


def run_funnel(
    traces: pd.DataFrame,
    pool_instructions: list[str],
    cfg: FunnelConfig,
    human_texts: list[str] | None = None,
) -> pd.DataFrame:
    """Adds `kept`, `drop_reason`, `drop_detail`, `novelty_rouge_l`, `near_duplicate_of` and
    `perplexity` to verified traces. `human_texts` trains the perplexity band's reference model."""
    out = traces.copy()
    for column in ("drop_reason", "drop_detail", "near_duplicate_of"):
        out[column] = pd.Series([None] * len(out), dtype=object, index=out.index)
    out["novelty_rouge_l"] = float("nan")
    out["perplexity"] = float("nan")

    def drop(mask: pd.Series, reason: str, detail: pd.Series | None = None) -> None:
        hit = mask & out["drop_reason"].isna()
        out.loc[hit, "drop_reason"] = reason
        if detail is not None:
            out.loc[hit, "drop_detail"] = detail[hit]

    alive = lambda: out["drop_reason"].isna()  # noqa: E731 - re-evaluated after each step

    drop(out["error"].notna() | (out["response"].fillna("").str.strip() == ""), "generation_error", out["error"])
    drop(out["finish_reason"] == "length", "truncated")  # cut off at max_tokens: an unfinished example
    drop(out["evidence"].map(is_reward_hacking).astype(bool), "reward_hacking", out["evidence"])  # gamed its tests
    drop(out["verdict"].isin(["failed", "no_answer", "inconsistent"]), "verification", out["evidence"])
    generated = out["task_source"] == "generated"
    instruction_ok = _per_distinct(out["instruction"], lambda t: length_ok(t, cfg.min_words, cfg.max_words))
    drop(generated & ~instruction_ok.astype(bool), "length")
    drop(~out["response"].fillna("").map(lambda t: length_ok(t, 1, cfg.max_words * 4)), "length")
    if cfg.self_instruct_rules:
        rule = _per_distinct(out["instruction"].where(generated), self_instruct_reason)
        drop(rule.notna(), "self_instruct_rules", rule)
    junk = (out["instruction"] + "\n" + out["response"].fillna("")).map(
        lambda t: garbage_reason(t, cfg.min_unique_token_ratio, cfg.min_alpha_ratio)
    )
    prose = out["family"] != "code"  # code is symbols by nature and its own checks are its tests
    drop(junk.notna() & (out["origin"] == "synthetic") & prose, "garbage", junk)
    # normalised text has no newline, so "\n" separates the fields unambiguously (pandas drops "\x00")
    keys = out["instruction"].map(normalized) + "\n" + out["response"].fillna("").map(normalized)
    drop(alive() & keys.where(alive()).duplicated(keep="first"), "exact_duplicate")
    _near_duplicates(out, alive(), keys, cfg.near_duplicate_threshold)
    _novelty(out, generated & alive(), pool_instructions, cfg.rouge_threshold)
    if cfg.perplexity_quantiles and human_texts:
        band = fit_band(human_texts, cfg.perplexity_quantiles)
        _perplexity(out, alive() & (out["origin"] == "synthetic") & prose, band, drop)
    if cfg.judge_threshold is not None and "judge_score" in out:
        low = out["judge_score"].notna() & (out["judge_score"] < cfg.judge_threshold)
        detail = out["judge_score"].map(lambda s: f"judge score {s:.0f} below {cfg.judge_threshold:g}")
        drop(low, "judge_score", detail)
    if cfg.target_size is not None:
        _diversity(out, alive(), cfg.target_size, keys)
    out["kept"] = out["drop_reason"].isna()
    return out


def _per_distinct(values: pd.Series, fn: Callable[[str], object]) -> pd.Series:
    """`fn` once per distinct value: the k traces of a task share its instruction."""
    distinct = values.dropna().unique()
    return values.map(dict(zip(distinct, map(fn, distinct), strict=True)))


def _perplexity(out: pd.DataFrame, mask: pd.Series, band: PerplexityBand, drop: DropFn) -> None:
    texts = training_texts(out.loc[mask])
    out.loc[mask, "perplexity"] = [band.perplexity(t) for t in texts]
    reasons = out["perplexity"].map(lambda p: band.reason(p) if p == p else None)
    drop(mask & reasons.notna(), "perplexity", reasons)


def _diversity(out: pd.DataFrame, mask: pd.Series, target: int, keys: pd.Series) -> None:
    """Keep the `target` rows that spread widest; the rest name their distance to the kept set."""
    idx = out.index[mask]
    choice = farthest_point(keys.loc[idx].tolist(), target)
    chosen = {idx[i] for i in choice.selected}
    for position, row in enumerate(idx):
        if row not in chosen:
            out.at[row, "drop_reason"] = "diversity"
            out.at[row, "drop_detail"] = f"Jaccard distance {choice.distance[position]:.2f} to the nearest kept row"


def _near_duplicates(out: pd.DataFrame, mask: pd.Series, keys: pd.Series, threshold: float) -> None:
    idx = out.index[mask]
    decisions = near_duplicates(keys.loc[idx].tolist(), threshold)
    dropped = [(row, d) for row, d in zip(idx, decisions, strict=True) if not d.kept]
    if not dropped:
        return
    rows = [row for row, _ in dropped]
    out.loc[rows, "drop_reason"] = "near_duplicate"
    out.loc[rows, "near_duplicate_of"] = out.loc[[idx[d.duplicate_of] for _, d in dropped], "id"].to_numpy()
    out.loc[rows, "drop_detail"] = [f"Jaccard {d.jaccard:.2f} with a kept row" for _, d in dropped]


def _novelty(out: pd.DataFrame, mask: pd.Series, pool: list[str], threshold: float) -> None:
    """Decide once per distinct task (first-seen order); all traces of a task share the verdict."""
    tasks = out.loc[mask].drop_duplicates("task_id")
    decisions = novelty_scores(tasks["instruction"].tolist(), pool, threshold)
    keep = dict(zip(tasks["task_id"], (k for k, _ in decisions), strict=True))
    score = dict(zip(tasks["task_id"], (s for _, s in decisions), strict=True))
    task_ids = out.loc[mask, "task_id"]
    out.loc[mask, "novelty_rouge_l"] = task_ids.map(score)
    dropped = task_ids[~task_ids.map(keep).astype(bool)]
    out.loc[dropped.index, "drop_reason"] = "rouge_novelty"
    out.loc[dropped.index, "drop_detail"] = [
        f"ROUGE-L {score[t]:.2f} with the pool or an earlier task" for t in dropped
    ]


def funnel_counts(filtered: pd.DataFrame) -> dict[str, int]:
    """Rows entering, dropped by each step in order, and kept: entering = sum(dropped) + kept."""
    counts = {"entering": len(filtered)}
    counts.update({f"dropped:{s}": int((filtered["drop_reason"] == s).sum()) for s in STEPS})
    counts["kept"] = int(filtered["kept"].sum())
    return counts
