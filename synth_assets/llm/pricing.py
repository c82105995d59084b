"""Token prices and the cost estimate a stage logs before it calls a paid API.

The estimate is an upper bound on purpose: input tokens counted as characters / 3 (English runs
near 4 characters a token) and output as the full `max_tokens`, so a budget checked against it is
not overrun by a long answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from synth_assets.llm.base import GenerationRequest

CHARS_PER_TOKEN_LOW = 3
MESSAGE_OVERHEAD_TOKENS = 8


@dataclass(frozen=True)
class Price:
    """USD per million tokens; `discount` scales both (0.5 for the batch APIs)."""

    input_per_mtok: float
    output_per_mtok: float
    discount: float = 1.0

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        raw = prompt_tokens * self.input_per_mtok + completion_tokens * self.output_per_mtok
        return raw * self.discount / 1e6


def estimated_tokens(request: GenerationRequest) -> tuple[int, int]:
    chars = len(request.prompt) + len(request.system or "")
    return chars // CHARS_PER_TOKEN_LOW + MESSAGE_OVERHEAD_TOKENS, request.max_tokens


def estimate_request_cost(request: GenerationRequest, price: Price) -> float:
    return price.cost(*estimated_tokens(request))


def estimate_cost(requests: Sequence[GenerationRequest], price: Price) -> float:
    return sum(estimate_request_cost(r, price) for r in requests)
