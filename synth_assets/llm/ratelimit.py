"""Pacing for endpoints with limits: requests and tokens per minute, adaptive concurrency, and
the provider's own rate-limit headers.

Pacing is evenly spaced (a request every 60/rpm seconds, plus a small burst allowance) rather than
"send until 429": a 429 costs a round trip and, on most providers, counts against the limit too.
When the limit is unknown, concurrency finds it: slow start first (one more slot per success,
so the window doubles every window of successes, as TCP does), until the first sign of overload
(a 429 or 529, a timeout, a provider saying its quota is nearly spent) or the maximum; then AIMD
(one more slot after a window of successes, half the slots on overload).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime


class Pacer:
    """A leaky bucket of `per_minute` units that lets `burst` units through at once."""

    def __init__(self, per_minute: float | None, burst: float = 1.0) -> None:
        self.interval = 60.0 / per_minute if per_minute else 0.0
        self.burst = burst
        self._next = time.monotonic()
        self._lock = asyncio.Lock()

    def set_rate(self, per_minute: float) -> None:
        self.interval = 60.0 / per_minute

    async def acquire(self, units: float = 1.0) -> None:
        if not self.interval:
            return
        async with self._lock:
            now = time.monotonic()
            start = max(self._next, now - self.interval * (self.burst - 1))
            self._next = start + self.interval * units
            wait = start - now
        if wait > 0:
            await asyncio.sleep(wait)


class AdaptiveLimit:
    """At most `limit` calls in flight; the limit grows while calls succeed (doubling per window
    until the first overload, then by one per window) and halves on overload.

    A finished call wakes at most as many waiters as there are free slots (one, usually), never
    all of them: with a waiter per request that was O(N) work per completion and O(N^2) a stage.
    `wakeups` counts them, so a test can hold the bound without a clock."""

    def __init__(self, initial: int, maximum: int, adaptive: bool) -> None:
        self.limit = float(initial)
        self.maximum = maximum
        self.adaptive = adaptive
        self.slow_start = True  # until the first sign of overload
        self.in_flight = 0
        self.peak = initial
        self.wakeups = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._last_cut = 0.0
        self._paused_until = 0.0

    def _free(self) -> int:
        return max(1, int(self.limit)) - self.in_flight

    async def __aenter__(self) -> None:
        if self._free() > 0 and not self._waiters:
            self.in_flight += 1
        else:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter  # resolved with the slot already counted as ours
            except asyncio.CancelledError:
                if waiter.cancelled():
                    self._waiters.remove(waiter)  # at most one entry per worker, not per request
                else:
                    self._release()  # handed a slot while being cancelled: give it back
                raise
        pause = self._paused_until - time.monotonic()
        if pause > 0:
            try:
                await asyncio.sleep(pause)
            except asyncio.CancelledError:
                self._release()  # `async with` never entered, so __aexit__ will not run
                raise

    async def __aexit__(self, *exc: object) -> None:
        self._release()

    def _release(self) -> None:
        self.in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        """Hand free slots to the longest waiters, first come first served."""
        while self._waiters and self._free() > 0:
            waiter = self._waiters.popleft()
            self.in_flight += 1
            waiter.set_result(None)
            self.wakeups += 1

    def succeeded(self) -> None:
        if self.adaptive and self.limit < self.maximum:
            self.limit = min(self.maximum, self.limit + (1.0 if self.slow_start else 1.0 / self.limit))
            self.peak = max(self.peak, int(self.limit))
            self._wake()

    def rate_limited(self, retry_after: float | None) -> None:
        """A 429, 529 or timeout: halve once per burst (calls already in flight report the same
        overload), and grow additively from now on."""
        now = time.monotonic()
        if retry_after:
            self.pause_until(now + retry_after)
        self.slow_start = False
        if self.adaptive and now - self._last_cut > 1.0:
            self.limit = max(1.0, self.limit / 2)
            self._last_cut = now

    def near_quota(self) -> None:
        """The provider says few requests are left in its window: stop doubling, keep the window."""
        self.slow_start = False

    def pause_until(self, when: float) -> None:
        self._paused_until = max(self._paused_until, when)


_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$")


def _seconds(value: str) -> float | None:
    """OpenAI sends resets as durations ("1s", "6m0s", "20ms"); Anthropic as RFC 3339 times."""
    if (m := _DURATION.match(value.strip())) and any(m.groups()):
        h, mnt, s, ms = (float(g) if g else 0.0 for g in m.groups())
        return h * 3600 + mnt * 60 + s + ms / 1000
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def read_rate_headers(headers: Mapping[str, str]) -> tuple[float | None, int | None, float | None]:
    """(requests-per-minute limit, requests remaining, seconds to reset) where the provider says."""
    lower = {k.lower(): v for k, v in headers.items()}
    limit = lower.get("x-ratelimit-limit-requests") or lower.get("anthropic-ratelimit-requests-limit")
    remaining = lower.get("x-ratelimit-remaining-requests") or lower.get("anthropic-ratelimit-requests-remaining")
    reset = lower.get("x-ratelimit-reset-requests") or lower.get("anthropic-ratelimit-requests-reset")
    try:
        return (
            float(limit) if limit else None,
            int(float(remaining)) if remaining is not None else None,
            _seconds(reset) if reset else None,
        )
    except ValueError:
        return None, None, None
