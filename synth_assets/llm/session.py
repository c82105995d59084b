"""A stage's view of a model: the backend behind the response cache, with one set of call stats.

Identical requests are sent once; cached ones are not sent at all; each new answer is written to
the cache the moment it arrives, so a run killed half-way keeps what it was given. An answer to a
structured request is validated against its schema before it counts: one that does not match is
asked again (another seed; twice the tokens if it was cut off) up to `FORMAT_ATTEMPTS` times,
then kept as a failed result saying what was wrong. Only valid answers reach the cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from synth_assets.core.callbacks import LogFn
from synth_assets.core.seeding import derived_seed
from synth_assets.llm.base import Backend, CallStats, Generation, GenerationRequest, ProgressFn, failed
from synth_assets.llm.cache import ResponseCache
from synth_assets.llm.pricing import Price, estimate_cost
from synth_assets.llm.structured import MalformedOutput

FORMAT_ATTEMPTS = 3
MAX_TOKENS_GROWTH = 4  # a cut-off answer is asked again with up to 4x its first budget


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
        self.structured_output = getattr(backend, "structured_output", False)
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
        tries = _Tries(self, dict(todo), results, on_progress)
        asking = dict(todo)
        for attempt in range(1, FORMAT_ATTEMPTS + 1):
            keys = list(asking)
            tries.attempt, tries.again = attempt, {}
            try:
                self.backend.generate([asking[k] for k in keys], lambda i, r, keys=keys: tries.answer(keys[i], r))
            finally:  # an interrupted or failed run keeps every answer it was given
                if self.cache is not None:
                    self.cache.flush()
            if not tries.again:
                break
            self._log(f"{self.label}: {len(tries.again)} answers did not match their schema; asking again")
            asking = tries.again
        unreported = [key for key, _ in todo if key not in results]
        if unreported:  # the Backend contract: every result goes through on_result
            raise RuntimeError(f"{self.label} returned without reporting {len(unreported)} of {len(todo)} results")


@dataclass
class _Tries:
    """One `_call`'s answers: a valid one (or the last try) is final, cached and counted; one that
    missed its schema is counted as spent and asked again."""

    session: GenerationSession
    first: dict[str, GenerationRequest]
    results: dict[str, Generation]
    on_progress: ProgressFn | None
    spent: dict[str, int] = field(default_factory=dict)  # attempts of answers thrown away
    asked: dict[str, GenerationRequest] = field(default_factory=dict)  # the latest request per key
    done: int = 0
    attempt: int = 1
    again: dict[str, GenerationRequest] = field(default_factory=dict)  # to ask in the next try

    def answer(self, key: str, result: Generation) -> None:
        s = self.session
        request = self.asked.get(key, self.first[key])
        cost = s.price.cost(result.prompt_tokens, result.completion_tokens) if s.price else 0.0
        problem = _schema_problem(request, result)
        if problem is not None and self.attempt < FORMAT_ATTEMPTS:
            s.stats.record(result, cost, final=False)
            self.spent[key] = self.spent.get(key, 0) + result.attempts
            self.again[key] = self.asked[key] = _asked_again(self.first[key], request, result, self.attempt)
            return
        if problem is not None:
            error = failed("malformed_response", problem)
            result = replace(result, text="", finish_reason="error", error=error.error, error_kind=error.error_kind)
        s.stats.record(result, cost)
        if spent := self.spent.get(key, 0):
            result = replace(result, attempts=result.attempts + spent)
        self.results[key] = result
        if s.cache is not None:
            s.cache.put(key, self.results[key])
        self.done += 1
        if self.on_progress:
            self.on_progress(self.done, len(self.first))


def _schema_problem(request: GenerationRequest, result: Generation) -> str | None:
    """Why the answer misses its schema: the request's `output`, or for tools on a backend that
    holds the model to llama.cpp's generic format, that format (checked by the backend)."""
    if request.tools and result.error_kind == "malformed_response":
        return (result.error or "").removeprefix("malformed_response: ")
    if request.output is None or not result.ok:
        return None
    try:
        request.output.validate(result.text)
    except MalformedOutput as exc:
        return f"{exc} (finish {result.finish_reason})"
    return None


def _asked_again(
    first: GenerationRequest, asked: GenerationRequest, result: Generation, attempt: int
) -> GenerationRequest:
    """Another seed; twice the budget (up to 4x the first) when the answer was cut off."""
    budget = asked.max_tokens
    if result.finish_reason == "length":
        budget = min(budget * 2, first.max_tokens * MAX_TOKENS_GROWTH)
    return replace(asked, seed=derived_seed(first.seed, "format", attempt), max_tokens=budget)
