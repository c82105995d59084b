"""Quality filters, usable outside Dagster.

Public entry point (stable): `rouge_novelty(candidates, pool, threshold=0.7) -> list[bool]`.
"""

from synth_assets.filters.rouge_novelty import novelty_scores, rouge_novelty, rouge_tokens

__all__ = ["novelty_scores", "rouge_novelty", "rouge_tokens"]
