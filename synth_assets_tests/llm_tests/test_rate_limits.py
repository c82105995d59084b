"""Pacing to a requests-per-minute budget, learning an unknown limit, and AIMD concurrency."""

from __future__ import annotations

import asyncio
import time

import pytest

from synth_assets.llm.base import GenerationRequest
from synth_assets.llm.ratelimit import AdaptiveLimit, Pacer, read_rate_headers
from synth_assets_tests.llm_tests.remote import PROVIDERS, backend
from synth_assets_tests.support.loopback_server import LoopbackLLMServer


def _requests(n: int) -> list[GenerationRequest]:
    return [GenerationRequest(prompt=f"question {i}") for i in range(n)]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_configured_rate_is_kept_without_a_single_429(provider: str) -> None:
    """Judged on the server's own arrival times: 20 requests at 10/s span at least 1.9 s less
    the first one's lateness (a new connection, a busy machine's scheduling), bounded here by
    0.3 s; unpaced, with 8 in flight and no latency, they take ~0.1 s. A lower bound, which a
    loaded machine can only make easier to meet, but for that first stamp."""
    with LoopbackLLMServer(requests_per_minute=600) as server:
        out = backend(provider, server, requests_per_minute=600, concurrency=8).generate(_requests(20))
        arrivals = sorted(e["t"] for e in server.log.entries)
    assert all(r.ok for r in out) and sum(r.rate_limited for r in out) == 0 and len(arrivals) == 20
    assert arrivals[-1] - arrivals[0] >= 19 * 0.1 - 0.3, [round(t - arrivals[0], 3) for t in arrivals]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_unknown_limit_is_learned_from_429s_and_the_rate_headers(provider: str) -> None:
    with LoopbackLLMServer(requests_per_minute=600) as server:
        out = backend(provider, server, concurrency=16).generate(_requests(40))
        rejected = sum(1 for e in server.log.entries if e["status"] == 429)
    assert all(r.ok for r in out)
    assert sum(r.rate_limited for r in out) == rejected
    # The first burst hits the limit; after the headers are read, calls are paced to it.
    assert 0 < rejected < 20


def test_adaptive_concurrency_halves_on_429_and_grows_back() -> None:
    async def scenario() -> tuple[float, float, float]:
        limit = AdaptiveLimit(initial=8, maximum=32, adaptive=True)
        limit.rate_limited(None)
        after_cut = limit.limit
        limit.rate_limited(None)  # the same burst: not cut twice
        for _ in range(40):
            limit.succeeded()
        return after_cut, limit.limit, limit.peak

    after_cut, grown, peak = asyncio.run(scenario())
    assert after_cut == 4.0 and 8 < grown <= 32 and peak == int(grown)


def test_the_window_doubles_until_the_first_overload_then_grows_by_one() -> None:
    """Slow start: from 8 to 64 in 8 + 16 + 32 = 56 successes (one more slot each); additive
    growth alone would need about 2,000. After a 429 the window halves and grows by one a window."""
    limit = AdaptiveLimit(initial=8, maximum=64, adaptive=True)
    for _ in range(56):
        limit.succeeded()
    assert limit.limit == 64 and limit.slow_start
    limit.rate_limited(None)
    assert limit.limit == 32 and not limit.slow_start
    for _ in range(32):
        limit.succeeded()
    assert 32.9 < limit.limit < 33.1  # one window of successes, one more slot
    quota = AdaptiveLimit(initial=8, maximum=64, adaptive=True)
    quota.near_quota()  # the provider's headers say the quota is nearly spent: no more doubling
    for _ in range(8):
        quota.succeeded()
    assert quota.limit < 9


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_ramp_against_a_server_that_refuses_above_32_in_flight_loses_nothing(provider: str) -> None:
    """The default policy (from 8, up to 64) finds the server's capacity: every request answered
    exactly once, and once past the ramp the server holds about 32 requests, not 8 and not 64."""
    requests = _requests(900)
    with LoopbackLLMServer(latency_s=0.15, max_in_flight=32) as server:  # the latency keeps 32+ in flight
        out = backend(provider, server, concurrency=8, max_concurrency=64).generate(requests)
        answered = server.log.prompts_answered()
        refused = sum(1 for e in server.log.entries if e["status"] == 429)
        seen = server.in_flight_seen
    assert all(r.ok for r in out) and len(out) == len(requests)
    assert set(answered.values()) == {1} and len(answered) == len(requests)  # none lost, none twice
    assert refused > 0 and sum(r.rate_limited for r in out) == refused
    settled = sorted(seen[len(seen) // 2 :])
    assert 16 <= settled[len(settled) // 2] <= 32  # the median load in the second half


def test_the_pacer_spaces_requests() -> None:
    """A leaky bucket keeps a schedule: the k-th unit is let through no sooner than k intervals
    after the bucket was made. A late wake-up (a busy machine) may shorten the next gap, never
    the schedule, so only lower bounds are asserted; the upper one only says it does not stall."""

    async def stamps() -> tuple[float, list[float]]:
        made = time.monotonic()
        pacer, out = Pacer(per_minute=1200), []
        for _ in range(6):
            await pacer.acquire()
            out.append(time.monotonic())
        return made, out

    made, t = asyncio.run(stamps())
    assert all(stamp - made >= k * 0.05 - 1e-3 for k, stamp in enumerate(t)), [s - made for s in t]
    assert t[-1] - made < 5.0


def test_rate_headers_of_both_providers() -> None:
    openai = {
        "x-ratelimit-limit-requests": "500",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "1m6s",
    }
    assert read_rate_headers(openai) == (500.0, 0, 66.0)
    assert read_rate_headers({"x-ratelimit-reset-requests": "120ms"})[2] == pytest.approx(0.12)
    anthropic = {
        "anthropic-ratelimit-requests-limit": "50",
        "anthropic-ratelimit-requests-remaining": "3",
        "anthropic-ratelimit-requests-reset": "2099-01-01T00:00:00Z",
    }
    limit, remaining, reset = read_rate_headers(anthropic)
    assert (limit, remaining) == (50.0, 3) and reset is not None and reset > 1e8
    assert read_rate_headers({}) == (None, None, None)
