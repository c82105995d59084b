"""ROUGE-L novelty: our filter against Self-Instruct's reference loop (rouge_score, no stemming,
greedy: a candidate is kept if its ROUGE-L F with every pool item and every earlier kept candidate
is <= 0.7, and kept candidates join the pool). Same decisions required (0 disagreements), and the
ratio of the two times printed.

Pool: the 175 Self-Instruct seed instructions from ../shared/data when present (else generated).
Candidates: GSM8K question sentences and edited copies of pool items and of each other, so that
both outcomes are frequent.

    .venv/bin/python bench/rouge_novelty_bench.py [--candidates 10000]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # test support lives beside the package

from synth_assets.filters import rouge_novelty
from synth_assets_tests.support.rouge_reference import reference_novelty

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def load(n: int, rng: random.Random) -> tuple[list[str], list[str]]:
    if SHARED.exists():
        pool = [json.loads(line)["instruction"] for line in (SHARED / "self_instruct_seed_tasks.jsonl").open()]
        sentences = [
            s.strip()
            for line in (SHARED / "gsm8k_train.jsonl").open()
            for s in re.split(r"(?<=[.?!])\s+", json.loads(line)["question"])
            if len(s.split()) >= 5
        ]
        print(f"pool: {len(pool)} Self-Instruct seed instructions; candidates from GSM8K and edits")
    else:
        words = [f"w{i}" for i in range(3000)]
        pool = [" ".join(rng.choices(words, k=rng.randint(6, 16))) for _ in range(175)]
        sentences = [" ".join(rng.choices(words, k=rng.randint(6, 16))) for _ in range(n)]
        print("pool and candidates generated (../shared/data absent)")
    rng.shuffle(sentences)
    candidates: list[str] = []
    while len(candidates) < n:
        if rng.random() < 0.5:
            candidates.append(sentences[len(candidates) % len(sentences)])
        else:  # an edited copy of a pool item or an earlier candidate
            source = rng.choice(pool if not candidates or rng.random() < 0.5 else candidates)
            words = source.split()
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(len(words))
                words[i] = rng.choice(words)
            candidates.append(" ".join(words))
    return pool, candidates


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", type=int, default=10_000)
    args = parser.parse_args()
    pool, candidates = load(args.candidates, random.Random(11))
    start = time.perf_counter()
    ours = rouge_novelty(candidates, pool)
    ours_s = time.perf_counter() - start
    print(f"synth_assets.filters.rouge_novelty: {ours_s:.2f} s, kept {sum(ours)} of {len(candidates)}", flush=True)
    start = time.perf_counter()
    ref = reference_novelty(candidates, pool)
    ref_s = time.perf_counter() - start
    disagreements = sum(a != b for a, b in zip(ours, ref, strict=True))
    print(f"reference (rouge_score greedy loop): {ref_s:.1f} s, kept {sum(ref)}")
    print(f"disagreements: {disagreements} (must be 0)")
    print(f"ratio (reference time / our time): {ref_s / ours_s:.0f}x (target >= 100x)")


if __name__ == "__main__":
    main()
