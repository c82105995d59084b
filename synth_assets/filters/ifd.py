"""Instruction-following difficulty (IFD; Li et al. 2024, "From Quantity to Quality"): how much
the instruction helps a model predict the response, as the response's loss given the instruction
over its loss alone (losses are mean token cross-entropies under a local model). Near 0 the
instruction determines the response; near 1 it barely helps (a response the model would write
anyway); at or above 1 the two do not belong together. The paper trains on the highest IFD below
1: the examples a model finds hard to follow, which are not noise."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Scorer(Protocol):
    def mean_logprobs(self, pairs: Sequence[tuple[str, str]]) -> list[float]: ...

    def chat_prompt(self, prompt: str, system: str | None = None) -> str: ...


def ifd_scores(model: Scorer, rows: Sequence[tuple[str, str]]) -> list[float]:
    """IFD per (user turn, response); NaN where a response has no token to score."""
    given = model.mean_logprobs([(model.chat_prompt(prompt), response) for prompt, response in rows])
    alone = model.mean_logprobs([("", response) for _, response in rows])
    return [c / a if a < 0 else float("nan") for c, a in zip(given, alone, strict=True)]
