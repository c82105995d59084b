"""The async engine behind the remote backends: many requests in flight, paced to the provider's
limits, retried with backoff, each answer reported the moment it arrives, and a spending budget
that is checked before a request is sent rather than after the money is gone.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from synth_assets.llm.base import Generation, GenerationRequest, ResultFn, failed
from synth_assets.llm.errors import classify
from synth_assets.llm.pricing import Price, estimate_request_cost, estimated_tokens
from synth_assets.llm.ratelimit import AdaptiveLimit, Pacer, read_rate_headers

CallFn = Callable[[GenerationRequest], Awaitable[tuple[Generation, Mapping[str, str]]]]


@dataclass(frozen=True)
class DispatchPolicy:
    concurrency: int = 8
    max_concurrency: int = 64
    adaptive: bool = True
    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    max_retries: int = 6
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    budget_usd: float | None = None


class BudgetExceeded(RuntimeError):
    """Raised after the calls in flight finish; every answer received is already reported."""

    def __init__(self, budget: float, spent: float, answered: int, unsent: int) -> None:
        self.budget, self.spent, self.answered, self.unsent = budget, spent, answered, unsent
        super().__init__(
            f"budget of ${budget:.4f} reached: spent ${spent:.4f} on {answered} answered requests and left "
            f"{unsent} unsent (the next would have crossed the budget at its worst-case cost). Every answer "
            "received is cached: raise budget_usd and re-materialize to continue without paying twice."
        )


class _Budget:
    """Spent plus the worst-case cost of calls in flight never crosses the budget."""

    def __init__(self, limit: float | None, price: Price | None, spent: float = 0.0) -> None:
        self.limit, self.price = limit, price
        self.spent, self.reserved = spent, 0.0
        self.closed = False

    def reserve(self, request: GenerationRequest) -> float | None:
        if self.limit is None or self.price is None:
            return 0.0
        estimate = estimate_request_cost(request, self.price)
        if self.closed or self.spent + self.reserved + estimate > self.limit:
            self.closed = True
            return None
        self.reserved += estimate
        return estimate

    def settle(self, estimate: float, result: Generation) -> None:
        self.release(estimate)
        if self.price is not None:
            self.spent += self.price.cost(result.prompt_tokens, result.completion_tokens)

    def release(self, estimate: float) -> None:
        """A call that failed: nothing was bought, the reservation goes back."""
        self.reserved -= estimate


def backoff_seconds(attempt: int, retry_after: float | None, policy: DispatchPolicy) -> float:
    """Honour the server's `retry-after` (plus a little jitter so a crowd does not return at
    once); otherwise exponential backoff with equal jitter."""
    if retry_after is not None:
        return retry_after + random.uniform(0, 0.1 * retry_after + 0.02)
    ceiling = min(policy.backoff_cap_s, policy.backoff_base_s * 2 ** (attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


@dataclass
class _Run:
    call: CallFn
    policy: DispatchPolicy
    on_result: ResultFn
    secrets: tuple[str, ...]
    limit: AdaptiveLimit
    requests: Pacer
    tokens: Pacer
    budget: _Budget
    unsent: int = 0
    answered: int = 0

    async def one(self, index: int, request: GenerationRequest) -> None:
        attempts = rate_limited = 0
        estimate = 0.0
        while True:
            attempts += 1
            async with self.limit:
                if attempts == 1:  # reserve when a slot is free, so finished calls free budget first
                    reserved = self.budget.reserve(request)
                    if reserved is None:
                        self.unsent += 1
                        return
                    estimate = reserved
                await self.requests.acquire()
                await self.tokens.acquire(sum(estimated_tokens(request)))
                try:
                    result, headers = await self.call(request)
                except Exception as exc:  # every SDK error, classified below; nothing escapes
                    error = classify(exc, self.secrets)
                else:
                    self._learn(headers)
                    self.limit.succeeded()
                    self.budget.settle(estimate, result)
                    self.answered += 1
                    self.on_result(index, replace(result, attempts=attempts, rate_limited=rate_limited))
                    return
            if error.kind == "rate_limited":
                rate_limited += 1
                self.limit.rate_limited(error.retry_after)
            if not error.retryable or attempts > self.policy.max_retries:
                self.budget.release(estimate)
                self.on_result(index, failed(error.kind, error.message, attempts, rate_limited))
                return
            await asyncio.sleep(backoff_seconds(attempts, error.retry_after, self.policy))

    def _learn(self, headers: Mapping[str, str]) -> None:
        limit, remaining, reset = read_rate_headers(headers)
        if limit and self.policy.requests_per_minute is None:
            self.requests.set_rate(limit)
        if remaining == 0 and reset:
            self.limit.pause_until(time.monotonic() + reset)


async def dispatch(
    requests: Sequence[GenerationRequest],
    call: CallFn,
    policy: DispatchPolicy,
    on_result: ResultFn,
    price: Price | None = None,
    secrets: Iterable[str | None] = (),
    spent_before: float = 0.0,
) -> None:
    """`spent_before` counts against the budget too: it covers a whole materialization, which
    may dispatch several times."""
    run = _Run(
        call=call,
        policy=policy,
        on_result=on_result,
        secrets=tuple(s for s in secrets if s),
        limit=AdaptiveLimit(policy.concurrency, max(policy.concurrency, policy.max_concurrency), policy.adaptive),
        requests=Pacer(policy.requests_per_minute),
        tokens=Pacer(policy.tokens_per_minute, burst=4096),
        budget=_Budget(policy.budget_usd, price, spent_before),
    )
    await asyncio.gather(*(run.one(i, r) for i, r in enumerate(requests)))
    if run.unsent:
        assert policy.budget_usd is not None
        raise BudgetExceeded(policy.budget_usd, run.budget.spent, run.answered, run.unsent)
