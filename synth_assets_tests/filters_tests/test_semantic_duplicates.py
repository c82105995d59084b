"""Paraphrase removal in embedding space: the blocked greedy pass decides exactly as the plain
greedy loop does, and in the funnel it drops a reworded twin the word-set MinHash keeps."""

import numpy as np
import pandas as pd
import pytest

from synth_assets.filters import semantic_duplicates as semantic
from synth_assets.filters.diversity import farthest_point_vectors
from synth_assets.filters.funnel import run_funnel
from synth_assets.filters.semantic_duplicates import clustered_duplicates, pool_duplicates, semantic_duplicates
from synth_assets_tests.filters_tests.test_funnel import _cfg, _trace, pool_of


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


@pytest.mark.parametrize("block, slice_", [(1_024, 16_384), (64, 100)])
def test_blocked_decisions_equal_the_plain_greedy_loop_across_block_edges(
    block: int, slice_: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small blocks and slices: kept rows span many slices of the kept matrix."""
    monkeypatch.setattr(semantic, "_BLOCK", block)
    monkeypatch.setattr(semantic, "_SLICE", slice_)
    rng = np.random.default_rng(0)
    base = rng.normal(size=(1_500, 32))
    twins = base[rng.choice(1_500, 400)] + rng.normal(scale=0.05, size=(400, 32))  # near copies, some far apart
    vectors = np.vstack([base, twins])[rng.permutation(1_900)]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    decisions = semantic_duplicates(vectors, 0.95)
    assert [(d.kept, d.duplicate_of) for d in decisions] == _reference(vectors, 0.95)
    assert sum(not d.kept for d in decisions) >= 350


def test_clustered_decisions_are_the_greedy_pass_within_each_cluster() -> None:
    """Twins are found inside a cluster only: every dropped row names a kept row at or above the
    threshold, and planted near copies (which land with their original) are all caught."""
    rng = np.random.default_rng(2)
    centres = rng.normal(size=(8, 32)) * 4
    base = np.vstack([c + rng.normal(size=(300, 32)) for c in centres])
    copies = base[rng.choice(len(base), 200, replace=False)] + rng.normal(scale=0.01, size=(200, 32))
    vectors = np.vstack([base, copies])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    decisions = clustered_duplicates(vectors, 0.98, clusters=8)
    dropped = [(i, d) for i, d in enumerate(decisions) if not d.kept]
    assert all(decisions[d.duplicate_of].kept and vectors[i] @ vectors[d.duplicate_of] >= 0.98 for i, d in dropped)
    assert sum(not d.kept for d in decisions[len(base) :]) == 200
    exact = semantic_duplicates(vectors, 0.98)
    assert [d.kept for d in clustered_duplicates(vectors, 0.98, clusters=1)] == [d.kept for d in exact]


def test_pool_matches_are_the_brute_force_nearest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(semantic, "_SLICE", 50)
    rng = np.random.default_rng(1)
    pool = rng.normal(size=(230, 16))
    pool /= np.linalg.norm(pool, axis=1, keepdims=True)
    rows = np.vstack([pool[[7, 120, 229]] + rng.normal(scale=0.01, size=(3, 16)), rng.normal(size=(40, 16))])
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    decisions = pool_duplicates(rows, pool, 0.95)
    sims = rows @ pool.T
    assert [d.duplicate_of for d in decisions if not d.kept] == [7, 120, 229]
    assert [d.kept for d in decisions] == list(sims.max(axis=1) < 0.95)
    np.testing.assert_allclose([d.cosine for d in decisions], sims.max(axis=1), rtol=1e-5)


def test_a_new_task_restating_a_pool_row_is_dropped_naming_it() -> None:
    """Generated tasks meet the pool; a pool task re-solved is a repeat by design and does not."""
    pool = pool_of("Write a short poem about the sea and its waves.", "Name the largest planet in the solar system.")
    pool["response"] = ["Waves roll in, grey and slow.", "Jupiter is the largest planet."]
    rows = pd.DataFrame(
        [
            _trace("t0", "Compose a brief poem about the ocean and its waves.", "Waves roll in, grey and slow."),
            _trace("t1", "Give three tips for staying healthy at work.", "Walk, drink water, sleep enough."),
            _trace(
                "t2",
                "Name the largest planet in the solar system.",
                "Jupiter is the largest planet.",
                task_source="pool",
            ),
        ]
    )
    cfg = _cfg(self_instruct_rules=False, rouge_threshold=1.0, semantic_duplicate_threshold=0.8)
    out = run_funnel(rows, pool, cfg)
    assert out["drop_reason"].tolist() == ["semantic_duplicate", None, None]
    assert out.loc[0, "near_duplicate_of"] == "pool-0"
    assert out.loc[0, "drop_detail"].endswith("with pool row (embedding space)")


@pytest.mark.parametrize("clusters", [None, 2])
def test_the_funnel_drops_a_reworded_twin_that_minhash_keeps(clusters: int | None) -> None:
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
    assert run_funnel(rows, pool_of(), _cfg(**off))["kept"].all()  # the word sets differ too much for MinHash at 0.8
    out = run_funnel(
        rows, pool_of(), _cfg(**off, semantic_duplicate_threshold=0.8, semantic_duplicate_clusters=clusters)
    )
    assert out["drop_reason"].tolist() == [None, "semantic_duplicate", None, None]
    assert out.loc[1, "near_duplicate_of"] == rows.loc[0, "id"] and "cosine" in out.loc[1, "drop_detail"]


def test_diversity_in_embedding_space_keeps_one_row_per_cluster() -> None:
    rng = np.random.default_rng(3)
    centres = np.eye(16)[:3]
    vectors = np.vstack([c + rng.normal(scale=0.05, size=(20, 16)) for c in centres])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    choice = farthest_point_vectors(vectors, 3)
    assert sorted(i // 20 for i in choice.selected) == [0, 1, 2]
    assert max(choice.distance) < 0.2  # every row is close to a kept one (clusters are ~1 apart)


def test_the_funnel_selects_by_meaning_when_asked() -> None:
    tasks = [
        ("Describe the waves on a stormy sea.", "Grey walls of water break over the rocks."),
        ("Write about sailors crossing the ocean.", "They kept watch through long nights at sea."),
        ("Explain how to bake bread at home.", "Mix flour, water, salt and yeast, then knead."),
        ("Describe kneading dough for a loaf.", "Push, fold and turn the dough for ten minutes."),
        ("Name the planets of the solar system.", "Mercury, Venus, Earth, Mars and four giants."),
        ("Explain how planets orbit the sun.", "Gravity bends their paths into ellipses."),
    ]
    rows = pd.DataFrame([_trace(f"t{i}", q, a, task_source="pool") for i, (q, a) in enumerate(tasks)])
    out = run_funnel(rows, pool_of(), _cfg(self_instruct_rules=False, target_size=3, diversity_space="embeddings"))
    assert out["kept"].sum() == 3
    dropped = out[~out["kept"]]
    assert dropped["drop_reason"].eq("diversity").all()
    assert dropped["drop_detail"].str.startswith("cosine distance").all()
