"""A stage's view of a model: the backend behind the response cache, with one set of call stats.

Identical requests are sent once; cached ones are not sent at all; each new answer is written to
the cache the moment it arrives, so a run killed half-way keeps what it was given.
"""

from __future__ import annotations

from collections.abc import Sequence

from synth_assets.core.callbacks import LogFn
from synth_assets.llm.base import Backend, CallStats, Generation, GenerationRequest, ProgressFn
from synth_assets.llm.cache import ResponseCache
from synth_assets.llm.pricing import Price, estimate_cost


class GenerationSession:
    def __init__(
        self,
        backend: Backend,
        cache: ResponseCache | None,
        price: Price | None = None,
        log: LogFn | None = None,
        owns_cache: bool = False,
    ) -> None:
        self.backend = backend
        self.cache = cache
        self._owns_cache = owns_cache  # made for this session (a connection to a shared cache)
        self.price = price
        self.label = backend.label
        self.raw_continuation = backend.raw_continuation
        self.stats = CallStats()
        self._log = log or (lambda _msg: None)

    def __enter__(self) -> GenerationSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Free what the backend holds (a local model's processes and memory) when a stage ends."""
        close = getattr(self.backend, "close", None)
        if close is not None:
            close()
        if self._owns_cache and self.cache is not None:
            self.cache.close()

    def generate(
        self, requests: Sequence[GenerationRequest], on_progress: ProgressFn | None = None
    ) -> list[Generation]:
        keys = [r.key(self.label) for r in requests]
        results: dict[str, Generation] = self.cache.get_many(keys) if self.cache is not None else {}
        pending = {k: r for k, r in zip(keys, requests, strict=True) if k not in results}
        self.stats.requests += len(requests)
        self.stats.cache_hits += len(results)
        self.stats.cache_misses += len(pending)
        self._announce(len(results), list(pending.values()))
        self._call(list(pending.items()), results, on_progress)
        return [results[k] for k in keys]

    def _announce(self, hits: int, todo: list[GenerationRequest]) -> None:
        estimate = estimate_cost(todo, self.price) if self.price and todo else 0.0
        self.stats.estimated_cost_usd += estimate
        cost = f"; estimated cost at most ${estimate:.4f}" if estimate else ""
        self._log(f"{self.label}: {hits} cached, {len(todo)} to request{cost}")

    def _call(
        self,
        todo: list[tuple[str, GenerationRequest]],
        results: dict[str, Generation],
        on_progress: ProgressFn | None,
    ) -> None:
        if not todo:
            return
        done = 0

        def on_result(index: int, result: Generation) -> None:
            nonlocal done
            key = todo[index][0]
            results[key] = result
            if self.cache is not None:
                self.cache.put(key, result)
            cost = self.price.cost(result.prompt_tokens, result.completion_tokens) if self.price else 0.0
            self.stats.record(result, cost)
            done += 1
            if on_progress:
                on_progress(done, len(todo))

        self.backend.generate([r for _, r in todo], on_result)
        unreported = [key for key, _ in todo if key not in results]
        if unreported:  # the Backend contract: every result goes through on_result
            raise RuntimeError(f"{self.label} returned without reporting {len(unreported)} of {len(todo)} results")
