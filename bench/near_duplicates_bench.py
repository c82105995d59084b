"""Near-duplicate removal at scale: documents per second on 100,000 short texts, and recall on
planted near-duplicates (must be >= 0.95).

Texts come from ../shared/data (Self-Instruct instructions, GSM8K questions) when present, cut into
short sentences; otherwise they are generated. 2,000 planted twins are edited copies (case,
punctuation, one swapped or dropped word) of texts in the set.

    .venv/bin/python bench/near_duplicates_bench.py [--docs 100000] [--planted 2000]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from pathlib import Path

from synth_assets.filters.near_duplicates import near_duplicates

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def base_texts(n: int, rng: random.Random) -> list[str]:
    pool: list[str] = []
    if SHARED.exists():
        for line in (SHARED / "gsm8k_train.jsonl").read_text().splitlines():
            pool += [s.strip() for s in re.split(r"(?<=[.?!])\s+", json.loads(line)["question"]) if len(s.split()) >= 5]
        for line in (SHARED / "self_instruct_seed_tasks.jsonl").read_text().splitlines():
            pool.append(json.loads(line)["instruction"])
    source = "shared data" if pool else "generated"
    # top up with generated sentences over a 5,000-word vocabulary (Zipf-like), so that random
    # texts are not near-copies of each other by construction
    words = [f"w{i}" for i in range(5000)]
    weights = [1 / (i + 1) for i in range(len(words))]
    seen = set(pool)
    while len(pool) < n:
        text = " ".join(rng.choices(words, weights, k=rng.randint(6, 14))) + "."
        if text not in seen:
            seen.add(text)
            pool.append(text)
    rng.shuffle(pool)
    print(f"base texts: {source} ({min(n, len(pool))} used)")
    return pool[:n]


def edit(text: str, rng: random.Random) -> str:
    words = text.split()
    kind = rng.randrange(4)
    if kind == 0:
        return text.upper() if rng.random() < 0.5 else text.lower()
    if kind == 1:
        return text.rstrip(".?!") + rng.choice(["!", "?", " .", "..."])
    i = rng.randrange(len(words))
    if kind == 2 and len(words) > 6:
        return " ".join(words[:i] + words[i + 1 :])
    j = rng.randrange(len(words))
    words[i], words[j] = words[j], words[i]
    return " ".join(words)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--planted", type=int, default=2_000)
    parser.add_argument("--threshold", type=float, default=0.8)
    args = parser.parse_args()
    rng = random.Random(7)
    texts = base_texts(args.docs - args.planted, rng)
    originals = rng.sample(range(len(texts)), args.planted)
    planted = {len(texts) + k: idx for k, idx in enumerate(originals)}
    texts += [edit(texts[idx], rng) for idx in originals]
    start = time.perf_counter()
    decisions = near_duplicates(texts, threshold=args.threshold)
    seconds = time.perf_counter() - start
    caught = sum(not decisions[i].kept for i in planted)
    recall = caught / len(planted)
    print(f"documents: {len(texts)}  time: {seconds:.1f} s  throughput: {len(texts) / seconds:,.0f} docs/s")
    print(f"planted near-duplicates: {len(planted)}  caught: {caught}  recall: {recall:.4f} (target >= 0.95)")
    others = sum(not d.kept for d in decisions) - caught
    print(f"other texts dropped (repeated sentences in the base set): {others}")
    print(f"ratio (recall / 0.95): {recall / 0.95:.3f}")


if __name__ == "__main__":
    main()
