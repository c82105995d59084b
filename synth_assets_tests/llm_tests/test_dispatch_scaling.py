"""The dispatcher's cost per request does not grow with the stage: held as counts, not timings.

The first version woke every waiting request on each completion (O(N) per completion) and kept a
coroutine per request (memory O(N)); these tests fail on that design at any machine speed.
"""

from __future__ import annotations

import asyncio

import pytest

from synth_assets.llm.base import Generation, GenerationRequest
from synth_assets.llm.dispatch import DispatchPolicy, dispatch
from synth_assets.llm.interrupts import StopRequest


def _requests(n: int) -> list[GenerationRequest]:
    return [GenerationRequest(prompt=f"q{i}") for i in range(n)]


class _Endpoint:
    """An in-memory endpoint that records how many calls and tasks were alive at once."""

    def __init__(self) -> None:
        self.in_flight = self.peak_in_flight = self.peak_tasks = 0

    async def call(self, request: GenerationRequest) -> tuple[Generation, dict[str, str]]:
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        self.peak_tasks = max(self.peak_tasks, len(asyncio.all_tasks()))
        await asyncio.sleep(0.0005 * (hash(request.prompt) % 3))
        self.in_flight -= 1
        return Generation(text=request.prompt.upper(), finish_reason="stop"), {}


@pytest.mark.parametrize("n", [200, 5000])
@pytest.mark.parametrize("adaptive", [False, True])
def test_work_and_memory_per_request_stay_constant(n: int, adaptive: bool) -> None:
    endpoint, results = _Endpoint(), {}
    policy = DispatchPolicy(concurrency=16, max_concurrency=32, adaptive=adaptive)
    report = asyncio.run(dispatch(_requests(n), endpoint.call, policy, lambda i, r: results.__setitem__(i, r)))
    assert len(results) == n and all(results[i].text == f"Q{i}" for i in range(n))
    assert report.answered == n and report.unsent == 0
    slots = 32 if adaptive else 16
    # each completion hands its slot to at most one waiting worker: wake-ups <= completions
    assert report.wakeups <= n
    # tasks alive at once: the workers and the runner's own, whatever N is
    assert report.workers == slots and endpoint.peak_tasks <= slots + 3
    assert endpoint.peak_in_flight <= slots


def test_a_stop_sends_nothing_more_and_reports_what_was_left() -> None:
    stop, results = StopRequest(), {}
    endpoint = _Endpoint()

    async def call(request: GenerationRequest) -> tuple[Generation, dict[str, str]]:
        if len(results) >= 50 and not stop.requested:
            stop.request(2)
        return await endpoint.call(request)

    policy = DispatchPolicy(concurrency=8, adaptive=False)
    report = asyncio.run(dispatch(_requests(1000), call, policy, results.__setitem__, stop=stop, grace_s=1.0))
    assert report.stopped and report.answered == len(results)
    assert 50 <= report.sent <= 50 + 2 * 8  # at most the calls already in flight when it came
    assert report.unsent == 1000 - report.sent


def test_calls_in_flight_past_the_grace_period_are_cancelled() -> None:
    stop, results = StopRequest(), {}

    async def slow(request: GenerationRequest) -> tuple[Generation, dict[str, str]]:
        if request.prompt == "q3":
            stop.request(2)
        await asyncio.sleep(0.01 if int(request.prompt[1:]) < 3 else 30)
        return Generation(text="x", finish_reason="stop"), {}

    async def timed() -> float:
        loop = asyncio.get_running_loop()
        start = loop.time()
        await dispatch(
            _requests(20),
            slow,
            DispatchPolicy(concurrency=4, adaptive=False),
            results.__setitem__,
            stop=stop,
            grace_s=0.3,
        )
        return loop.time() - start

    assert asyncio.run(timed()) < 2.0
    assert set(results) <= {0, 1, 2}
