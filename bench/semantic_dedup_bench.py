"""Paraphrase removal at 100,000 rows: the embedding-space step (`filters/semantic_duplicates.py`,
WordLlama vectors) beside the word-set MinHash step (`filters/near_duplicates.py`) in one run.

Rows are GSM8K questions and worked-answer sentences and Self-Instruct tasks from ../shared/data,
up to 100,000 by joining two different sentences into one row (the bench skips without the data).
2,000 planted twins are rewordings of rows in the set, not word-level edits: common words replaced
by synonyms, the two halves of a sentence joined by ", and" swapped, small numbers written out.
Judged by: recall of the semantic step on the planted rewordings at least the MinHash step's
(ratio semantic/minhash >= 1.0), with other rows dropped (false twins) at most 1% of the set.
Each threshold runs exact (every row against every kept row, ~n^2/2 dot products) and within
k-means clusters (SemDeDup-style, `filters.semantic_duplicate_clusters`): the time it saves and
the recall it costs.

    .venv/bin/python bench/semantic_dedup_bench.py [--rows 100000] [--planted 2000] [--clusters 50]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synth_assets.embed.models import embedder
from synth_assets.filters.near_duplicates import near_duplicates
from synth_assets.filters.semantic_duplicates import clustered_duplicates

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SYNONYMS = {
    "sold": "sells",
    "buys": "purchases",
    "bought": "purchased",
    "gives": "hands",
    "gave": "handed",
    "has": "owns",
    "had": "owned",
    "many": "numerous",
    "total": "overall",
    "altogether": "in all",
    "each": "every",
    "money": "cash",
    "earns": "makes",
    "earned": "made",
    "spent": "paid",
    "spend": "pay",
    "half": "fifty percent",
    "twice": "two times",
    "friends": "pals",
    "store": "shop",
    "wants": "would like",
    "needs": "requires",
    "more": "additional",
    "less": "fewer",
    "left": "remaining",
    "days": "daily periods",
    "week": "seven days",
    "minutes": "mins",
    "hour": "60 minutes",
    "write": "compose",
    "give": "provide",
    "explain": "describe",
    "list": "enumerate",
    "short": "brief",
    "make": "create",
    "find": "determine",
    "how": "in what way",
    "what": "which",
    "big": "large",
    "small": "little",
    "start": "begin",
    "end": "finish",
    "help": "assist",
    "use": "employ",
}
NUMBERS = {
    str(i): w for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())
}
_WORD = re.compile(r"[A-Za-z0-9']+|[^A-Za-z0-9']+")


def sentences() -> list[str]:
    pool: list[str] = []
    for line in (SHARED / "gsm8k_train.jsonl").read_text().splitlines():
        row = json.loads(line)
        answer = re.sub(r"<<[^>]*>>", "", row["answer"]).split("####")[0]
        for text in (row["question"], answer):
            pool += [s.strip() for s in re.split(r"(?<=[.?!])\s+|\n", text) if len(s.split()) >= 6]
    for line in (SHARED / "self_instruct_seed_tasks.jsonl").read_text().splitlines():
        pool.append(json.loads(line)["instruction"])
    return list(dict.fromkeys(pool))


def rows(n: int, rng: random.Random) -> list[str]:
    pool = sentences()
    out = list(pool)
    seen = set(out)
    while len(out) < n:
        text = " ".join(rng.sample(pool, 2))
        if text not in seen:
            seen.add(text)
            out.append(text)
    rng.shuffle(out)
    return out[:n]


def reword(text: str) -> str:
    if ", and " in text:
        head, tail = text.split(", and ", 1)
        text = f"{tail.rstrip('.?!')}, and {head[0].lower()}{head[1:]}."
    words = []
    for token in _WORD.findall(text):
        low = token.lower()
        swap = SYNONYMS.get(low) or NUMBERS.get(low)
        words.append((swap.capitalize() if token[:1].isupper() else swap) if swap else token)
    return "".join(words)


def _recall(decisions, planted: dict[int, int]) -> tuple[int, int]:
    caught = sum(not decisions[i].kept for i in planted)
    return caught, sum(not d.kept for d in decisions) - caught


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--planted", type=int, default=2_000)
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.9, 0.95])
    parser.add_argument("--clusters", type=int, default=50, help="k-means clusters of the SemDeDup-style pass")
    args = parser.parse_args()
    if not SHARED.exists():
        print(f"skipped: {SHARED} is absent (reference data sets live beside the project)")
        return
    rng = random.Random(11)
    texts = rows(args.rows - args.planted, rng)
    sources = [i for i in rng.sample(range(len(texts)), args.planted * 3) if reword(texts[i]) != texts[i]]
    planted = {len(texts) + k: i for k, i in enumerate(sources[: args.planted])}
    texts += [reword(texts[i]) for i in planted.values()]
    print(f"rows: {len(texts):,}, planted rewordings: {len(planted):,}; e.g. {texts[next(iter(planted))]!r}")

    start = time.perf_counter()
    minhash = near_duplicates(texts, 0.8)
    minhash_s = time.perf_counter() - start
    caught, others = _recall(minhash, planted)
    minhash_recall = caught / len(planted)
    print(
        f"MinHash (word sets, 0.8): {minhash_s:.1f} s ({len(texts) / minhash_s:,.0f} rows/s), "
        f"recall {minhash_recall:.3f}, other rows dropped {others:,}"
    )

    start = time.perf_counter()
    vectors = embedder().embed(texts)
    embed_s = time.perf_counter() - start
    for threshold in args.thresholds:
        for clusters in (1, args.clusters):
            start = time.perf_counter()
            decisions = clustered_duplicates(vectors, threshold, clusters)
            seconds = embed_s + time.perf_counter() - start
            caught, others = _recall(decisions, planted)
            recall = caught / len(planted)
            how = "exact" if clusters == 1 else f"within {clusters} k-means clusters"
            print(
                f"semantic (WordLlama cosine {threshold}, {how}): {seconds:.1f} s incl. {embed_s:.1f} s embedding "
                f"({len(texts) / seconds:,.0f} rows/s), recall {recall:.3f}, other rows dropped {others:,} "
                f"({others / len(texts):.2%}); ratio semantic/minhash recall {recall / max(minhash_recall, 1e-9):.2f}"
            )


if __name__ == "__main__":
    main()
