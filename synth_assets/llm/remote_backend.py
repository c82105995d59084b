"""A remote provider (Anthropic or any OpenAI-compatible endpoint) behind the `Backend` interface:
online requests through the dispatcher, or the provider's batch API for nightly runs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from synth_assets.core.callbacks import LogFn
from synth_assets.llm.base import Generation, GenerationRequest, ResultFn
from synth_assets.llm.batch import BatchAPI, BatchRun, PollPolicy
from synth_assets.llm.cache import ResponseCache
from synth_assets.llm.dispatch import BudgetExceeded, DispatchPolicy, dispatch
from synth_assets.llm.interrupts import GenerationInterrupted, StopRequest, stop_on_signals
from synth_assets.llm.pricing import Price, estimate_request_cost

if TYPE_CHECKING:
    from synth_assets.llm.provider import Connection

T = TypeVar("T")


class ProviderAPI(BatchAPI, Protocol):
    name: str
    model: str

    @property
    def secrets(self) -> tuple[str, ...]: ...
    def client(self) -> Any: ...
    def connect(self) -> Connection: ...
    def call(self, conn: Connection, request: GenerationRequest) -> Awaitable[tuple[Generation, Mapping[str, str]]]: ...


def run_sync(main: Callable[[], Coroutine[Any, Any, T]], stop: StopRequest) -> T:
    """Dagster assets are synchronous; notebooks already run a loop, so go through a thread there.
    On the main thread SIGINT and SIGTERM set `stop` while the loop runs (see `interrupts`)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        with asyncio.Runner() as runner, stop_on_signals(stop, runner.get_loop()):
            return runner.run(main())
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


class RemoteBackend:
    raw_continuation = False
    structured_output = True

    def __init__(
        self,
        api: ProviderAPI,
        policy: DispatchPolicy,
        price: Price | None = None,
        batch: bool = False,
        ledger: ResponseCache | None = None,
        poll: PollPolicy | None = None,
        log: LogFn | None = None,
    ) -> None:
        self.api = api
        self.label = f"{api.name}:{api.model}"
        self.policy = policy
        self.price = price
        self.batch = batch
        self.ledger = ledger
        self.poll = poll or PollPolicy()
        self._log = log or (lambda _m: None)
        self.spent = 0.0  # across generate() calls: the budget is per materialization

    def generate(self, requests: Sequence[GenerationRequest], on_result: ResultFn | None = None) -> list[Generation]:
        results: list[Generation | None] = [None] * len(requests)

        def report(index: int, result: Generation) -> None:
            results[index] = result
            if on_result:
                on_result(index, result)

        def counted(index: int, result: Generation) -> None:
            self.spent += self.price.cost(result.prompt_tokens, result.completion_tokens) if self.price else 0.0
            report(index, result)

        stop = StopRequest()
        run = self._batch if self.batch else self._online
        run_sync(lambda: run(requests, counted, stop), stop)
        if stop.signum is not None:
            kept = sum(1 for r in results if r is not None and r.ok)
            raise GenerationInterrupted(stop.signum, kept, len(requests) - kept, self.label)
        if any(r is None for r in results):  # dispatch reports every request or raises
            raise RuntimeError(f"{self.label}: a request ended without a result")
        return cast("list[Generation]", results)

    async def _online(self, requests: Sequence[GenerationRequest], report: ResultFn, stop: StopRequest) -> None:
        conn = self.api.connect()
        try:
            call = lambda request: self.api.call(conn, request)  # noqa: E731 - binds the open connection
            await dispatch(requests, call, self.policy, report, self.price, self.api.secrets, self.spent, stop)
        finally:
            await conn.close()

    async def _batch(self, requests: Sequence[GenerationRequest], report: ResultFn, stop: StopRequest) -> None:
        """The budget is checked up front here: a batch cannot be stopped half-way cheaply. A stop
        ends the polling; the ledger keeps the batch, so the next run collects it."""
        affordable = self._affordable(requests)
        keyed = [(r.key(self.label), r) for r in requests[:affordable]]
        client = self.api.client()
        try:
            run = BatchRun(self.api, client, report, self.ledger, self.poll, self._log, self.api.secrets, stop)
            await run.run(keyed)
        finally:
            await client.close()
        if stop.requested:
            return
        if affordable < len(requests):
            assert self.policy.budget_usd is not None
            raise BudgetExceeded(self.policy.budget_usd, self.spent, affordable, len(requests) - affordable)

    def _affordable(self, requests: Sequence[GenerationRequest]) -> int:
        if self.policy.budget_usd is None or self.price is None:
            return len(requests)
        total = self.spent
        for n, request in enumerate(requests):
            total += estimate_request_cost(request, self.price)
            if total > self.policy.budget_usd:
                return n
        return len(requests)
