"""The filter funnel: named steps applied in order; each row records the first step that dropped
it, so every decision is explainable row by row and the counts always add up."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from synth_assets.filters.near_duplicates import near_duplicates
from synth_assets.filters.rouge_novelty import novelty_scores
from synth_assets.filters.text_rules import length_ok, normalized

STEPS = (
    "generation_error",
    "truncated",
    "verification",
    "length",
    "exact_duplicate",
    "near_duplicate",
    "rouge_novelty",
)


@dataclass(frozen=True)
class FunnelConfig:
    rouge_threshold: float = 0.7
    min_words: int = 3
    max_words: int = 150
    near_duplicate_threshold: float = 0.8


def run_funnel(traces: pd.DataFrame, pool_instructions: list[str], cfg: FunnelConfig) -> pd.DataFrame:
    """Adds `kept`, `drop_reason` and `novelty_rouge_l` to verified traces."""
    out = traces.copy()
    out["drop_reason"] = pd.Series([None] * len(out), dtype=object, index=out.index)
    out["novelty_rouge_l"] = float("nan")
    out["near_duplicate_of"] = pd.Series([None] * len(out), dtype=object, index=out.index)

    def drop(mask: pd.Series, reason: str) -> None:
        out.loc[mask & out["drop_reason"].isna(), "drop_reason"] = reason

    alive = lambda: out["drop_reason"].isna()  # noqa: E731 - re-evaluated after each step

    drop(out["error"].notna() | (out["response"].fillna("").str.strip() == ""), "generation_error")
    drop(out["finish_reason"] == "length", "truncated")  # cut off at max_tokens: an unfinished example
    drop(out["verdict"].isin(["failed", "no_answer"]), "verification")
    generated = out["task_source"] == "generated"
    drop(generated & ~out["instruction"].map(lambda t: length_ok(t, cfg.min_words, cfg.max_words)), "length")
    drop(~out["response"].fillna("").map(lambda t: length_ok(t, 1, cfg.max_words * 4)), "length")
    # normalised text has no newline, so "\n" separates the fields unambiguously (pandas drops "\x00")
    keys = out["instruction"].map(normalized) + "\n" + out["response"].fillna("").map(normalized)
    drop(alive() & keys.where(alive()).duplicated(keep="first"), "exact_duplicate")
    _near_duplicates(out, alive(), keys, cfg.near_duplicate_threshold)
    _novelty(out, generated & alive(), pool_instructions, cfg.rouge_threshold)
    out["kept"] = out["drop_reason"].isna()
    return out


def _near_duplicates(out: pd.DataFrame, mask: pd.Series, keys: pd.Series, threshold: float) -> None:
    idx = out.index[mask]
    for row, decision in zip(idx, near_duplicates(keys.loc[idx].tolist(), threshold), strict=True):
        if not decision.kept:
            out.at[row, "drop_reason"] = "near_duplicate"
            out.at[row, "near_duplicate_of"] = out.at[idx[decision.duplicate_of], "id"]


def _novelty(out: pd.DataFrame, mask: pd.Series, pool: list[str], threshold: float) -> None:
    """Decide once per distinct task (first-seen order); all traces of a task share the verdict."""
    tasks = out.loc[mask].drop_duplicates("task_id")
    decisions = novelty_scores(tasks["instruction"].tolist(), pool, threshold)
    by_task = dict(zip(tasks["task_id"], decisions, strict=True))
    for idx in out.index[mask]:
        keep, score = by_task[out.at[idx, "task_id"]]
        out.at[idx, "novelty_rouge_l"] = score
        if not keep:
            out.at[idx, "drop_reason"] = "rouge_novelty"


def funnel_counts(filtered: pd.DataFrame) -> dict[str, int]:
    """Rows entering, dropped by each step in order, and kept: entering = sum(dropped) + kept."""
    counts = {"entering": len(filtered)}
    counts.update({f"dropped:{s}": int((filtered["drop_reason"] == s).sum()) for s in STEPS})
    counts["kept"] = int(filtered["kept"].sum())
    return counts
