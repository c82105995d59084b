"""How varied are the tasks each recipe writes? The same number of new general tasks from every
recipe, written by the embedded model (SmolLM2-135M, local, no key) from the project's human seed
pool, compared on the diversity measures the collapse metrics already use: the Vendi score
(effective number of distinct tasks, WordLlama embeddings), mean pairwise ROUGE-L (lower is more
varied) and distinct-2; and, for scale, the human seed tasks themselves.

    .venv/bin/python bench/recipe_diversity_bench.py [--tasks 40] [--seed 3]

Prints one table; the ratio it is judged by is each recipe's Vendi score over Self-Instruct's.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

import pandas as pd

from synth_assets.collapse.embedding_metrics import vendi
from synth_assets.collapse.metrics import distinct_n, self_similarity
from synth_assets.config.experiments import parse_experiments
from synth_assets.embed.models import embedder
from synth_assets.generate.recipes.registry import RECIPES
from synth_assets.llm.backends import BACKENDS, Build, Machine
from synth_assets.llm.session import GenerationSession
from synth_assets.seeds.human_pool import human_rows, recipe_input_rows
from synth_assets.stages.generated_instructions import generate_instructions
from synth_assets.stages.row_frames import RowScope

MIN_MEASURED = 10
PROJECT_DATA = Path(__file__).resolve().parents[1] / "data"


def measures(texts: list[str], embed) -> dict[str, float]:
    vectors = embed.embed(texts)
    return {
        "measured": len(texts),
        "vendi": round(vendi(vectors), 2),
        "pairwise_rouge_l": round(self_similarity(texts, sample=len(texts)), 3),
        "distinct_2": round(distinct_n(texts, 2), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=40)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    seeds = PROJECT_DATA / "seeds"
    pool = human_rows(seeds, "bench", "human_seeds")
    inputs = recipe_input_rows(seeds, "bench")
    general = pool[pool["family"] == "general"]
    written = {"human seeds (general)": (general["instruction"].tolist(), 0.0)}
    for name in RECIPES:
        raw = {
            "name": "bench",
            "regime": "replace",
            "seed": args.seed,
            "sizes": {"instructions_per_round": args.tasks, "math_problems_per_round": 0},
            "recipes": {name: 1.0},
            "verify": {"constraint_share": 0},
        }
        exp = parse_experiments({"experiments": [raw]}, "bench").experiments[0]
        local = BACKENDS["llamacpp"].build(Build(exp.generator, Machine()))  # type: ignore[misc]
        start = time.monotonic()
        with GenerationSession(local, None) as session:
            df, _ = generate_instructions(pool, exp, RowScope("generated_instructions", "bench", 0, "bench"), session,
                                          inputs=inputs)  # fmt: skip
        written[name] = (df[df["failure"].isna()]["instruction"].tolist(), round(time.monotonic() - start, 1))
    # Vendi and distinct-n depend on how many texts there are: every set is measured at one size,
    # the smallest among the recipes that wrote at least MIN_MEASURED tasks (the others are listed
    # with what they wrote and no measures).
    enough = {name: texts for name, (texts, _) in written.items() if len(texts) >= MIN_MEASURED}
    size = min(len(texts) for texts in enough.values())
    embed = embedder()
    rows = []
    for name, (texts, seconds) in written.items():
        measured = measures(random.Random(args.seed).sample(texts, size), embed) if name in enough else {}
        rows.append({"recipe": name, "written": len(texts), **measured, "seconds": seconds})
    table = pd.DataFrame(rows)
    base = float(table.loc[table["recipe"] == "self_instruct", "vendi"].iloc[0])
    table["vendi_vs_self_instruct"] = (table["vendi"] / base).round(2)
    print(table.to_markdown(index=False))


if __name__ == "__main__":
    main()
