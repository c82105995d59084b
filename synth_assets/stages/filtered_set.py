"""filtered_set: every verified trace with the funnel's decision (`kept`, `drop_reason`)."""

from __future__ import annotations

import pandas as pd

from synth_assets.experiments import FilterConfig
from synth_assets.filters.funnel import FunnelConfig, run_funnel
from synth_assets.rows import CONTRACT_COLUMNS
from synth_assets.stages._rows import derive_row, frame, nullable

_DECISION = ("kept", "drop_reason", "drop_detail", "novelty_rouge_l", "near_duplicate_of", "perplexity")


def funnel_config(cfg: FilterConfig) -> FunnelConfig:
    return FunnelConfig(
        rouge_threshold=cfg.rouge_threshold,
        min_words=cfg.min_words,
        max_words=cfg.max_words,
        near_duplicate_threshold=cfg.near_duplicate_threshold,
        self_instruct_rules=cfg.self_instruct_rules,
        min_unique_token_ratio=cfg.min_unique_token_ratio,
        min_alpha_ratio=cfg.min_alpha_ratio,
        perplexity_quantiles=cfg.perplexity_band,
        judge_threshold=cfg.judge_threshold,
        target_size=cfg.target_size,
    )


def filter_traces(
    verified: pd.DataFrame,
    pool_instructions: list[str],
    cfg: FilterConfig,
    experiment: str,
    round_: int,
    run_id: str,
    human_texts: list[str] | None = None,
) -> pd.DataFrame:
    decided = run_funnel(verified, pool_instructions, funnel_config(cfg), human_texts)
    rows = []
    for r in decided.to_dict("records"):
        carried = {k: nullable(v) for k, v in r.items() if k not in (*_DECISION, *CONTRACT_COLUMNS)}
        decision = {k: nullable(r[k]) for k in _DECISION}
        decision["kept"] = bool(decision["kept"])
        rows.append(
            derive_row(
                "filtered_set", experiment, round_, r, run_id, {"kept": decision["kept"]}, {**carried, **decision}
            )
        )
    return frame(rows, "FILTERED_SET")
