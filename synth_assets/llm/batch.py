"""Batch APIs for nightly runs: submit once, poll with backoff, collect, and after a restart
resume polling the batches already submitted instead of paying for them again.

The ledger maps each request's cache key to the batch that carries it. A restarted run looks its
pending requests up there: those with a batch are collected from it, only the others are
submitted. A ledger line is deleted once its answer is reported (and so cached).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from synth_assets.core.callbacks import LogFn
from synth_assets.llm.base import Generation, GenerationRequest, ResultFn, failed
from synth_assets.llm.cache import ResponseCache
from synth_assets.llm.errors import classify
from synth_assets.llm.interrupts import StopRequest


class BatchAPI(Protocol):
    async def submit(self, client: Any, items: Sequence[tuple[str, GenerationRequest]]) -> str: ...
    async def finished(self, client: Any, batch_id: str) -> bool: ...
    def collect(self, client: Any, batch_id: str) -> AsyncIterator[tuple[str, Generation]]: ...


@dataclass(frozen=True)
class PollPolicy:
    initial_s: float = 5.0
    factor: float = 1.5
    max_s: float = 300.0
    max_poll_errors: int = 20


@dataclass
class BatchRun:
    """One materialization's batches with one provider: where results go (`report`), the
    ledger that survives a killed run, how to poll, and the stop a signal sets."""

    api: BatchAPI
    client: Any
    report: ResultFn
    ledger: ResponseCache | None
    poll: PollPolicy
    log: LogFn
    secrets: Sequence[str] = ()
    stop: StopRequest = field(default_factory=StopRequest)

    async def run(self, keyed: Sequence[tuple[str, GenerationRequest]]) -> None:
        """Resume the batches the ledger names, submit the rest as one new batch, collect all."""
        index = {key: i for i, (key, _) in enumerate(keyed)}
        by_batch: dict[str, list[str]] = defaultdict(list)
        fresh = []
        for key, request in keyed:
            entry = self.ledger.ledger_get(key) if self.ledger is not None else None
            if entry:
                by_batch[entry["batch_id"]].append(key)
            else:
                fresh.append((key, request))
        for batch_id, keys in by_batch.items():
            self.log(f"resuming batch {batch_id} ({len(keys)} requests already submitted)")
        if fresh and not self.stop.requested:
            batch_id = await self.api.submit(self.client, fresh)
            for key, _ in fresh:
                if self.ledger is not None:
                    self.ledger.ledger_put(key, {"batch_id": batch_id})
            by_batch[batch_id] = [k for k, _ in fresh]
            self.log(f"submitted batch {batch_id} with {len(fresh)} requests")
        await asyncio.gather(*(self._finish(b, keys, index) for b, keys in by_batch.items()))

    async def _finish(self, batch_id: str, keys: list[str], index: dict[str, int]) -> None:
        if not await self._wait(batch_id):
            return  # stopped: the ledger still names the batch, the next run collects it
        wanted = set(keys)
        async for key, result in self.api.collect(self.client, batch_id):
            if key in wanted:
                wanted.discard(key)
                self._deliver(index[key], key, result)
        for key in wanted:  # ended without a line for it (expired or cancelled): a failed row, resubmitted next run
            missing = failed("batch_missing", f"batch {batch_id} ended without a result for this request")
            self._deliver(index[key], key, missing)

    def _deliver(self, position: int, key: str, result: Generation) -> None:
        self.report(position, result)
        if self.ledger is not None:
            self.ledger.ledger_delete(key)

    async def _wait(self, batch_id: str) -> bool:
        """True once the batch has ended; False if a stop was requested first."""
        poll, delay, errors = self.poll, self.poll.initial_s, 0
        while not self.stop.requested:
            try:
                if await self.api.finished(self.client, batch_id):
                    return True
            except Exception as exc:  # a poll that fails is retried; the batch itself is unaffected
                error = classify(exc, self.secrets)
                errors += 1
                if not error.retryable or errors > poll.max_poll_errors:
                    raise RuntimeError(f"polling batch {batch_id} failed: {error.message}") from None
                self.log(f"poll of batch {batch_id} failed ({error.kind}); retrying")
            await _sleep_unless_stopped(delay, self.stop)
            delay = min(poll.max_s, delay * poll.factor)
        return False


async def _sleep_unless_stopped(seconds: float, stop: StopRequest) -> None:
    """Polls may be minutes apart; a signal must not wait for the next one."""
    end = asyncio.get_running_loop().time() + seconds
    while not stop.requested and (left := end - asyncio.get_running_loop().time()) > 0:
        await asyncio.sleep(min(left, 0.2))
