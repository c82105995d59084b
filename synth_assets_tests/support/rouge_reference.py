"""Self-Instruct's reference novelty loop, kept as the executable specification that
`rouge_novelty` must match decision for decision (tests and bench/rouge_novelty_bench.py).

Pure Python and quadratic: for checking, never for production. Needs the `rouge-score` package
(a dev dependency), imported on use.
"""

from __future__ import annotations


def reference_novelty(candidates: list[str], pool: list[str], threshold: float = 0.7) -> list[bool]:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    kept_pool = list(pool)
    decisions = []
    for candidate in candidates:
        best = max((scorer.score(candidate, p)["rougeL"].fmeasure for p in kept_pool), default=0.0)
        keep = not best > threshold
        decisions.append(keep)
        if keep:
            kept_pool.append(candidate)
    return decisions
