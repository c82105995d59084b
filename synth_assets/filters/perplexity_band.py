"""Perplexity band under a reference language model trained on the human data.

Text far above the band is unlike anything people wrote (garbled, off-distribution); text far
below it is suspiciously predictable (loops, boilerplate). The band is calibrated on human rows the
reference model did not see (every fifth seed row), so its edges are quantiles of honest human
perplexities rather than of the training set's flattering ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from synth_assets.core.ngram_lm import KneserNeyLM, build_vocab

CALIBRATION_EVERY = 5


@dataclass(frozen=True)
class PerplexityBand:
    model: KneserNeyLM
    low: float
    high: float

    def perplexity(self, text: str) -> float:
        log_prob, n = self.model.log_prob(text)
        return math.exp(-log_prob / n) if n else float("inf")

    def reason(self, perplexity: float) -> str | None:
        if perplexity > self.high:
            return f"perplexity {perplexity:.0f} above the human band [{self.low:.0f}, {self.high:.0f}]"
        if perplexity < self.low:
            return f"perplexity {perplexity:.1f} below the human band [{self.low:.0f}, {self.high:.0f}]"
        return None


def fit_band(human_texts: Sequence[str], quantiles: tuple[float, float]) -> PerplexityBand:
    """Train on four fifths of the human rows, take the band from the other fifth."""
    if len(human_texts) < 2 * CALIBRATION_EVERY:
        raise ValueError(f"a perplexity band needs at least {2 * CALIBRATION_EVERY} human rows")
    held = [t for i, t in enumerate(human_texts) if i % CALIBRATION_EVERY == 0]
    train = [t for i, t in enumerate(human_texts) if i % CALIBRATION_EVERY != 0]
    model = KneserNeyLM(build_vocab(human_texts)).fit(train)
    band = PerplexityBand(model, 0.0, math.inf)
    scores = np.array([band.perplexity(t) for t in held])
    low, high = np.quantile(scores, quantiles)
    return PerplexityBand(model, float(low), float(high))
