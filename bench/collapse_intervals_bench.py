"""What the bootstrap intervals add to a round's collapse metrics, by mix size.

    .venv/bin/python bench/collapse_intervals_bench.py [--sizes 5000 20000 50000] [--resamples 1000]

The mix is made of the human seeds' words at their own frequencies (rows of 5-40 words), the
held-out set is the project's, the student the n-gram model trained on the mix: the work
`collapse_metrics` does, without Dagster. For each size: seconds for every metric without
intervals, seconds with them, and the ratio it is judged by (with / without), so the cost's
growth with rows shows beside the metrics' own. The embedding metrics embed a fixed sample of
1,000 rows whatever the size, as in the pipeline.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from itertools import pairwise
from pathlib import Path

import numpy as np

from synth_assets.collapse import metrics
from synth_assets.collapse.measure import RoundTexts, measure_round
from synth_assets.core.ngram_lm import KneserNeyLM, build_vocab, tokenize
from synth_assets.seeds.loaders import load_instruction_tasks, load_math_problems

PROJECT_DATA = Path(__file__).resolve().parents[1] / "data"


def human_texts(folder: str) -> list[str]:
    path = PROJECT_DATA / folder
    return [f"{t.instruction} {t.output}" for t in load_instruction_tasks(path)] + [
        f"{m.question} {m.solution}" for m in load_math_problems(path)
    ]


def mix(human: list[str], rows: int, seed: int) -> list[str]:
    counts = Counter(t for text in human for t in tokenize(text))
    words = np.array(list(counts))
    p = np.array([counts[w] for w in words], dtype=float)
    rng = np.random.default_rng(seed)
    lengths = rng.integers(5, 41, rows)
    drawn = rng.choice(words, size=int(lengths.sum()), p=p / p.sum())
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    return [" ".join(drawn[a:b]) for a, b in pairwise(bounds)]


def timed(texts: RoundTexts, resamples: int) -> tuple[float, dict[str, float]]:
    start = time.perf_counter()
    values = measure_round(texts, resamples=resamples)
    return time.perf_counter() - start, values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 20_000, 50_000])
    parser.add_argument("--resamples", type=int, default=1_000)
    args = parser.parse_args()
    human, heldout = human_texts("seeds"), human_texts("heldout")
    vocab = build_vocab([*human, *heldout])
    print(f"human rows {len(human)}, held-out rows {len(heldout)}, resamples {args.resamples}")
    print("| mix rows | metrics s | with intervals s | ratio | held-out perplexity interval | tail coverage interval |")
    print("| --- | --- | --- | --- | --- | --- |")
    for size in args.sizes:
        train = mix(human, size, seed=size)
        model = KneserNeyLM(vocab).fit(train)

        def fresh() -> RoundTexts:  # cached properties would carry work from one timing to the other
            return RoundTexts(model, train, heldout, human, metrics.rare_tokens(human))  # noqa: B023

        timed(fresh(), 0)  # warm: the embedder's and the libraries' first loads are no metric's cost
        plain, _ = timed(fresh(), 0)
        full, values = timed(fresh(), args.resamples)
        ppl, tail = (
            f"{values[m]:.{d}f} [{values[m + '_lo']:.{d}f}, {values[m + '_hi']:.{d}f}]"
            for m, d in (("heldout_perplexity", 1), ("tail_coverage", 3))
        )
        print(f"| {size:,} | {plain:.1f} | {full:.1f} | {full / plain:.2f} | {ppl} | {tail} |", flush=True)


if __name__ == "__main__":
    main()
