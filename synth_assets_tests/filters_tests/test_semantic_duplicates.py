"""Paraphrase removal in embedding space: the blocked greedy pass decides exactly as the plain
greedy loop does, and in the funnel it drops a reworded twin the word-set MinHash keeps."""

import numpy as np
import pandas as pd

from synth_assets.filters.funnel import run_funnel
from synth_assets.filters.semantic_duplicates import semantic_duplicates
from synth_assets_tests.filters_tests.test_funnel import _cfg, _trace


def _reference(vectors: np.ndarray, threshold: float) -> list[tuple[bool, int | None]]:
    kept: list[int] = []
    out = []
    for i, v in enumerate(vectors):
        sims = [(float(v @ vectors[k]), k) for k in kept]
        best = max(sims, default=(-1.0, None))
        if best[0] >= threshold:
            out.append((False, best[1]))
        else:
            out.append((True, None))
            kept.append(i)
    return out


def test_blocked_decisions_equal_the_plain_greedy_loop_across_block_edges() -> None:
    rng = np.random.default_rng(0)
    base = rng.normal(size=(1_500, 32))
    twins = base[rng.choice(1_500, 400)] + rng.normal(scale=0.05, size=(400, 32))  # near copies, some far apart
    vectors = np.vstack([base, twins])[rng.permutation(1_900)]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    decisions = semantic_duplicates(vectors, 0.95)
    assert [(d.kept, d.duplicate_of) for d in decisions] == _reference(vectors, 0.95)
    assert sum(not d.kept for d in decisions) >= 350


def test_the_funnel_drops_a_reworded_twin_that_minhash_keeps() -> None:
    pool = {"task_source": "pool", "input": ""}  # pool tasks: no novelty step between them
    rows = pd.DataFrame(
        [
            _trace("t0", "Write a short poem about the sea and its waves.", "Waves roll in, grey and slow.", **pool),
            _trace(
                "t1", "Compose a brief poem about the ocean and its waves.", "Waves roll in, grey and slow.", **pool
            ),
            _trace("t2", "Give three tips for staying healthy at work.", "Walk, drink water, sleep enough.", **pool),
            _trace("t3", "Name the largest planet in the solar system.", "Jupiter is the largest planet.", **pool),
        ]
    )
    off = {"self_instruct_rules": False}
    assert run_funnel(rows, [], _cfg(**off))["kept"].all()  # the word sets differ too much for MinHash at 0.8
    out = run_funnel(rows, [], _cfg(**off, semantic_duplicate_threshold=0.8))
    assert out["drop_reason"].tolist() == [None, "semantic_duplicate", None, None]
    assert out.loc[1, "near_duplicate_of"] == rows.loc[0, "id"] and "cosine" in out.loc[1, "drop_detail"]
