"""Token prices and the cost estimate a stage logs before it calls a paid API.

The estimate is an upper bound on purpose: input tokens counted as characters / 3 (English runs
near 4 characters a token) and output as the full `max_tokens`, so a budget checked against it is
not overrun by a long answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

CHARS_PER_TOKEN_LOW = 3
MESSAGE_OVERHEAD_TOKENS = 8


class Priced(Protocol):
    """A request the dispatcher can pace and budget: a generation or a batch of texts to embed."""

    def estimated_tokens(self) -> tuple[int, int]: ...


@dataclass(frozen=True)
class Price:
    """USD per million tokens; `discount` scales both (0.5 for the batch APIs)."""

    input_per_mtok: float
    output_per_mtok: float
    discount: float = 1.0

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        raw = prompt_tokens * self.input_per_mtok + completion_tokens * self.output_per_mtok
        return raw * self.discount / 1e6


def input_tokens_at_most(chars: int) -> int:
    return chars // CHARS_PER_TOKEN_LOW + MESSAGE_OVERHEAD_TOKENS


def estimate_request_cost(request: Priced, price: Price) -> float:
    return price.cost(*request.estimated_tokens())


def estimate_cost(requests: Sequence[Priced], price: Price) -> float:
    return sum(estimate_request_cost(r, price) for r in requests)
