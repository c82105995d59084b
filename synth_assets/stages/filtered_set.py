"""filtered_set: every verified trace with the funnel's decision (`kept`, `drop_reason`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import pandas as pd

from synth_assets.config.experiments import FilterConfig
from synth_assets.core.rows import CONTRACT_COLUMNS, nullable
from synth_assets.core.texts import training_texts
from synth_assets.filters.funnel import DECISION_COLUMNS, EmbedFn, IfdFn, funnel_counts, run_funnel
from synth_assets.filters.ifd import ifd_scores
from synth_assets.stages import schemas
from synth_assets.stages.row_frames import RowScope, frame
from synth_assets.stages.spec import Parent, StageResult, StageRun, StageSpec

NAME = "filtered_set"


def filter_traces(
    verified: pd.DataFrame,
    pool: pd.DataFrame,
    cfg: FilterConfig,
    scope: RowScope,
    human_texts: list[str] | None = None,
    embed: EmbedFn | None = None,
    ifd: IfdFn | None = None,
) -> pd.DataFrame:
    decided = run_funnel(verified, pool, cfg, human_texts, embed, ifd)
    rows = []
    for r in decided.to_dict("records"):
        carried = {k: nullable(v) for k, v in r.items() if k not in (*DECISION_COLUMNS, *CONTRACT_COLUMNS)}
        decision = {k: nullable(r[k]) for k in DECISION_COLUMNS}
        decision["kept"] = bool(decision["kept"])
        rows.append(scope.derive(r, {"kept": decision["kept"]}, {**carried, **decision}))
    return frame(rows, schemas.FILTERED_SET)


def _compute(run: StageRun) -> StageResult:
    cfg = run.experiment.filters
    with (
        run.models.embedder() if cfg.uses_embeddings else nullcontext() as embedder,
        _ifd_model(cfg) as scorer,
    ):
        df = filter_traces(
            run["verified_traces"],
            run["seed_set"],
            cfg,
            run.scope,
            training_texts(run["human_seeds"]),
            embedder.embed if embedder else None,
            (lambda rows: ifd_scores(scorer, rows)) if scorer else None,
        )
    counts = funnel_counts(df)
    return StageResult(df, {"kept": counts["kept"], "funnel": counts})


@contextmanager
def _ifd_model(cfg: FilterConfig) -> Iterator[Any]:
    """The local model IFD is scored with (`filters.reward_model`), only when reward_rank is 'ifd'."""
    if cfg.reward_rank != "ifd":
        yield None
        return
    from synth_assets.llm.llamacpp_backend import LlamaCppGenerator

    model = LlamaCppGenerator(cfg.reward_model, n_threads=os.cpu_count() or 1)
    try:
        yield model
    finally:
        model.close()


STAGE = StageSpec(
    name=NAME,
    description="Every verified trace with the funnel's decision; `kept` rows go on to the mix. The "
    "perplexity band's reference model is trained on `human_seeds`.",
    schema=schemas.FILTERED_SET,
    parents=(Parent("verified_traces"),),
    reads=("seed_set", "human_seeds"),
    compute=_compute,
    config=lambda exp: (exp.filters, exp.embedder) if exp.filters.uses_embeddings else exp.filters,
    embeds=True,
)
