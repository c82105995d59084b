"""Recursive training with the n-gram student, without Dagster: round 0 trains on human text;
each later round trains on text sampled from the previous round's student, composed by the same
regime code as the pipeline's final_mix (`mix.regimes`). This is the fast, many-seed version of
what the `student_model` and `collapse_metrics` assets measure round by round."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from synth_assets.collapse import metrics
from synth_assets.collapse.measure import RoundTexts, measure_round
from synth_assets.core.ngram_lm import KneserNeyLM, build_vocab
from synth_assets.mix.regimes import plan, select


def run(
    human: Sequence[str],
    heldout: Sequence[str],
    regime: str,
    rounds: int,
    seed: int,
    human_fraction: float | None = None,
    max_tokens: int = 60,
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    vocab = build_vocab([*human, *heldout])
    tail = metrics.rare_tokens(human)
    n = len(human)
    human_rows = pd.DataFrame({"id": [f"h{i}" for i in range(n)], "text": list(human)})
    train = human_rows
    rows = []
    for r in range(rounds):
        model = KneserNeyLM(vocab).fit(train["text"])
        synthetic = train.loc[train["id"].str.startswith("s"), "text"].tolist()
        rows.append(
            {
                "round": r,
                "regime": regime,
                "seed": seed,
                "train_rows": len(train),
                **measure_round(
                    RoundTexts(model, train["text"].tolist(), heldout, human, tail, synthetic), resamples=0
                ),
            }
        )
        synthetic = pd.DataFrame(
            {"id": [f"s{r}-{i}" for i in range(n)], "text": [model.sample(rng, max_tokens) for _ in range(n)]}
        )
        carried = train if regime == "accumulate" else None
        mix_plan = plan(regime, n, human_fraction, n, len(synthetic), carried=0 if carried is None else len(carried))
        train = select(mix_plan, human_rows, synthetic, carried, seed, r)
    return pd.DataFrame(rows)
