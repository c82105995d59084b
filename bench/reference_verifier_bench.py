"""What the `reference_lm` ranker (the default run's imperfect verifier) keeps: held-out human
tasks against word salads of the same lengths drawn from the human seeds' vocabulary.

    .venv/bin/python bench/reference_verifier_bench.py

Both sets go through the funnel with `reward_rank: reference_lm` at `reward_top_share: 0.5`, so
exactly half is kept; a perfect verifier keeps every human task and no salad. The reference model
is trained on the seeds, never on the held-out tasks. Prints each side's kept share.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from synth_assets.config.experiments import FilterConfig
from synth_assets.core.texts import training_texts
from synth_assets.filters.funnel import run_funnel
from synth_assets.seeds.human_pool import human_rows
from synth_assets.seeds.loaders import load_instruction_tasks

PROJECT_DATA = Path(__file__).resolve().parents[1] / "data"
EMPTY_POOL = pd.DataFrame({"id": [], "instruction": [], "response": []})


def _row(task_id: str, instruction: str, response: str) -> dict:
    return {
        "id": task_id, "task_id": task_id, "task_source": "pool", "family": "general", "origin": "synthetic",
        "instruction": instruction, "input": "", "response": response, "verdict": "unverifiable",
        "finish_reason": "stop", "error": None, "evidence": "",
    }  # fmt: skip


def main() -> None:
    human = training_texts(human_rows(PROJECT_DATA / "seeds", "bench", "human_seeds"))
    tasks = load_instruction_tasks(PROJECT_DATA / "heldout")
    vocabulary = np.array(sorted({w for text in human for w in text.split()}))
    rng = np.random.default_rng(0)
    rows = []
    for i, task in enumerate(tasks):
        words = f"{task.instruction} {task.output}".split()
        salad = " ".join(rng.choice(vocabulary, size=len(words)))
        cut = len(task.instruction)
        rows += [_row(f"human{i}", task.instruction, task.output), _row(f"salad{i}", salad[:cut], salad[cut:])]
    cfg = FilterConfig(perplexity_band=None, judge_threshold=None, reward_rank="reference_lm", reward_top_share=0.5)
    out = run_funnel(pd.DataFrame(rows), EMPTY_POOL, cfg, human)
    real = out["task_id"].str.startswith("human")
    print(f"kept by reference_lm at top 50%: held-out human tasks {out.loc[real, 'kept'].sum()}/{real.sum()}, "
          f"word salads {out.loc[~real, 'kept'].sum()}/{(~real).sum()}")  # fmt: skip


if __name__ == "__main__":
    main()
