"""The response cache, token accounting and the spending budget, over the real SDKs."""

from __future__ import annotations

from pathlib import Path

import pytest

from synth_assets.llm.base import GenerationRequest
from synth_assets.llm.cache import ResponseCache
from synth_assets.llm.dispatch import BudgetExceeded
from synth_assets.llm.pricing import Price, estimate_cost
from synth_assets.llm.session import GenerationSession
from synth_assets_tests.llm_tests.remote import PROVIDERS, backend
from synth_assets_tests.support.loopback_server import LoopbackLLMServer

PRICE = Price(input_per_mtok=3.0, output_per_mtok=15.0)


@pytest.fixture
def server():
    with LoopbackLLMServer() as s:
        yield s


def _requests(n: int, words: int = 5) -> list[GenerationRequest]:
    return [GenerationRequest(prompt=" ".join([f"w{i}"] * words), max_tokens=20, seed=i) for i in range(n)]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_second_pass_is_served_from_the_cache_with_zero_calls(
    server: LoopbackLLMServer, provider: str, tmp_path: Path
) -> None:
    cache = ResponseCache(tmp_path / "cache")
    first = GenerationSession(backend(provider, server), cache)
    out1 = first.generate(_requests(10))
    assert (first.stats.cache_hits, first.stats.cache_misses, len(server.log.answered())) == (0, 10, 10)

    again = GenerationSession(backend(provider, server), ResponseCache(tmp_path / "cache"))
    out2 = again.generate(_requests(10))
    assert len(server.log.entries) == 10  # nothing new reached the server
    assert (again.stats.cache_hits, again.stats.cache_misses, again.stats.calls) == (10, 0, 0)
    assert [r.text for r in out1] == [r.text for r in out2]


def test_identical_requests_are_sent_once_and_failures_are_not_cached(
    server: LoopbackLLMServer, tmp_path: Path
) -> None:
    cache = ResponseCache(tmp_path / "cache")
    same = GenerationRequest(prompt="the same question")
    broken = GenerationRequest(prompt="bad [[fault:400*1]]")
    session = GenerationSession(backend("openai", server), cache)
    out = session.generate([same, same, broken, same])
    assert [r.ok for r in out] == [True, True, False, True]
    assert server.log.prompts_answered()["the same question"] == 1
    assert session.stats.failures_by_kind == {"client_error": 1}
    retry = GenerationSession(backend("openai", server), cache).generate([broken])  # the 400 was transient
    assert retry[0].ok


def test_the_key_covers_everything_that_changes_the_answer() -> None:
    base = GenerationRequest(prompt="p")
    variants = [
        GenerationRequest(prompt="q"),
        GenerationRequest(prompt="p", system="s"),
        GenerationRequest(prompt="p", temperature=0.1),
        GenerationRequest(prompt="p", top_p=0.5),
        GenerationRequest(prompt="p", seed=1),
        GenerationRequest(prompt="p", max_tokens=7),
        GenerationRequest(prompt="p", stop=("x",)),
        GenerationRequest(prompt="p", sample_index=1),
        GenerationRequest(prompt="p", mode="continue"),
    ]
    keys = {base.key("openai:m"), base.key("openai:other-model"), base.key("anthropic:m")}
    keys |= {v.key("openai:m") for v in variants}
    assert len(keys) == 3 + len(variants)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_cost_is_tokens_times_the_price_table(server: LoopbackLLMServer, provider: str, tmp_path: Path) -> None:
    session = GenerationSession(backend(provider, server, PRICE), ResponseCache(tmp_path / "c"), PRICE)
    out = session.generate(_requests(4, words=5))
    prompt_tokens = sum(r.prompt_tokens for r in out)
    completion_tokens = sum(r.completion_tokens for r in out)
    assert prompt_tokens == 4 * 5  # the server counts words
    assert session.stats.cost_usd == pytest.approx((prompt_tokens * 3.0 + completion_tokens * 15.0) / 1e6)
    assert session.stats.estimated_cost_usd >= session.stats.cost_usd  # the estimate is an upper bound
    assert session.stats.estimated_cost_usd == pytest.approx(estimate_cost(_requests(4, words=5), PRICE))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_budget_stops_before_it_is_crossed_and_keeps_what_it_bought(
    server: LoopbackLLMServer, provider: str, tmp_path: Path
) -> None:
    requests = _requests(30)
    one = estimate_cost(requests[:1], PRICE)
    budget = 10.5 * one
    cache = ResponseCache(tmp_path / "c")
    session = GenerationSession(backend(provider, server, PRICE, budget_usd=budget, concurrency=1), cache, PRICE)
    with pytest.raises(BudgetExceeded, match="raise budget_usd") as info:
        session.generate(requests)
    assert info.value.spent <= budget and session.stats.cost_usd <= budget
    bought = len(server.log.answered())
    assert bought >= 10 and cache.count() == bought  # every answer received is kept
    assert info.value.answered == bought and info.value.unsent == 30 - bought

    more = GenerationSession(backend(provider, server, PRICE, budget_usd=1.0), cache, PRICE)
    more.generate(requests)
    assert more.stats.cache_hits == bought and len(server.log.answered()) == 30  # nothing bought twice


def test_the_budget_covers_every_call_of_a_materialization(server: LoopbackLLMServer) -> None:
    """A stage dispatches several times (one per family and wave); they share one budget."""
    requests = _requests(6)
    one = estimate_cost(requests[:1], PRICE)  # worst case; an answer costs about half of it here
    remote = backend("openai", server, PRICE, budget_usd=2.5 * one, concurrency=1)
    remote.generate(requests[:3])
    assert len(server.log.answered()) == 3
    with pytest.raises(BudgetExceeded):
        remote.generate(requests[3:])  # a fresh budget per call would afford all three
    assert remote.spent <= remote.policy.budget_usd  # type: ignore[operator]
    assert 3 <= len(server.log.answered()) <= 5
