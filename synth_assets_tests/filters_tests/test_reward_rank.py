"""Ranking by reward as a funnel step: per task family the top share is kept by the judge's score
or by instruction-following difficulty (IFD) under the local model; a row ranked out says its
score and the cut, and IFD, computed for real on the embedded model, tells a response that
answers its instruction from one written for another task."""

from __future__ import annotations

import pandas as pd
import pytest

from synth_assets.filters.funnel import run_funnel
from synth_assets.filters.ifd import ifd_scores
from synth_assets.seeds.loaders import load_instruction_tasks
from synth_assets_tests.filters_tests.test_funnel import _cfg, _trace, pool_of
from synth_assets_tests.support.paths import PROJECT_DATA

TOPICS = ["rivers of Europe", "baking sourdough bread", "tuning a violin", "planting tomatoes",
          "repairing bicycles", "learning chess openings", "reading tide tables", "knitting socks"]  # fmt: skip


def _scored(family: str, n: int) -> list[dict]:
    first = 0 if family == "general" else 4
    return [
        _trace(f"{family}{i}", f"Explain {TOPICS[first + i]} simply", f"A short note on {TOPICS[first + i]}.",
               family=family, judge_score=float(i + 1), task_source="pool")
        for i in range(n)
    ]  # fmt: skip


def test_the_top_share_of_each_family_is_kept_by_the_judges_score() -> None:
    rows = pd.DataFrame(_scored("general", 4) + _scored("math", 3))
    out = run_funnel(rows, pool_of(), _cfg(reward_rank="judge", reward_top_share=0.5))
    kept = out[out["kept"]]
    assert sorted(kept["task_id"]) == ["general2", "general3", "math1", "math2"]  # 2 of 4, 2 of 3 (rounded up)
    dropped = out.set_index("task_id").loc["general0"]
    assert dropped["drop_reason"] == "reward_rank"
    assert dropped["drop_detail"] == "judge 1.000 below the top 50% of general (cut 3.000)"
    assert out["reward_score"].tolist() == rows["judge_score"].tolist()


def test_off_by_default_and_ranks_only_what_the_steps_before_kept() -> None:
    rows = pd.DataFrame(_scored("general", 4))
    assert run_funnel(rows, pool_of(), _cfg())["kept"].all()
    rows.loc[3, "verdict"] = "failed"  # the best score, but verification drops it first
    out = run_funnel(rows, pool_of(), _cfg(reward_rank="judge", reward_top_share=0.5))
    assert out["drop_reason"].tolist() == ["reward_rank", None, None, "verification"]


@pytest.mark.slow
def test_ifd_on_the_embedded_model_tells_a_matching_response_from_a_swapped_one() -> None:
    """Each human seed's own reference response against another task's (of another type): the
    instruction helps predict its own response (IFD lower) for most tasks."""
    from synth_assets.llm.llamacpp_backend import LlamaCppGenerator

    tasks = load_instruction_tasks(PROJECT_DATA / "seeds")[::10]  # 16 tasks across the 9 task types
    own = [(t.instruction, t.output) for t in tasks]
    swapped = [(t.instruction, tasks[(i + len(tasks) // 2) % len(tasks)].output) for i, t in enumerate(tasks)]
    model = LlamaCppGenerator("SmolLM2-135M-Instruct.Q4_1", n_threads=2)
    try:
        matched, crossed = ifd_scores(model, own), ifd_scores(model, swapped)
    finally:
        model.close()
    lower = sum(m < c for m, c in zip(matched, crossed, strict=True))
    assert lower >= 0.8 * len(tasks), (lower, matched, crossed)
    assert all(0 < m < 1.5 for m in matched)


def test_the_reference_model_keeps_what_reads_like_the_human_seeds() -> None:
    """`reference_lm`: ranked by likelihood under a language model of the human rows. Real seed
    tasks beat the same words shuffled into salad, whatever order they come in."""
    import numpy as np

    from synth_assets.core.texts import training_texts
    from synth_assets.seeds.human_pool import human_rows

    human = training_texts(human_rows(PROJECT_DATA / "seeds", "t", "human_seeds"))
    tasks = load_instruction_tasks(PROJECT_DATA / "seeds")[1::20]
    vocabulary = np.array(sorted({w for text in human for w in text.split()}))
    rng = np.random.default_rng(0)
    rows = []
    for i, task in enumerate(tasks):
        words = f"{task.instruction} {task.output}".split()
        salad = " ".join(rng.choice(vocabulary, size=len(words)))
        rows.append(_trace(f"real{i}", task.instruction, task.output, task_source="pool"))
        rows.append(
            _trace(f"salad{i}", salad[: len(task.instruction)], salad[len(task.instruction) :], task_source="pool")
        )
    out = run_funnel(pd.DataFrame(rows), pool_of(), _cfg(reward_rank="reference_lm", reward_top_share=0.5), human)
    kept = set(out.loc[out["kept"], "task_id"])
    assert len(kept) == len(tasks) and sum(t.startswith("real") for t in kept) >= len(tasks) - 1
    assert out["reward_score"].notna().all() and (out["reward_score"] < 0).all()  # minus log perplexity
    ranked_out = out[out["drop_reason"] == "reward_rank"]
    assert ranked_out["drop_detail"].str.startswith("reference_lm -").all()


def test_the_reference_model_needs_human_rows() -> None:
    rows = pd.DataFrame(_scored("general", 2))
    with pytest.raises(ValueError, match="reference_lm' needs the human rows"):
        run_funnel(rows, pool_of(), _cfg(reward_rank="reference_lm"))
