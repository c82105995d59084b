"""Anthropic Message Batches and OpenAI Batch through the official SDKs."""

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


@pytest.mark.parametrize("provider", PROVIDERS)
def test_submit_poll_collect_with_errored_items_as_failure_rows(provider: str, tmp_path: Path) -> None:
    requests = [GenerationRequest(prompt=f"q{i}") for i in range(5)]
    requests.append(GenerationRequest(prompt="fails inside the batch [[fault:500*1]]"))
    cache = ResponseCache(tmp_path / "c")
    with LoopbackLLMServer(batch_ready_after_polls=3) as server:
        session = GenerationSession(backend(provider, server, batch=True, ledger=cache), cache)
        out = session.generate(requests)
        polls = [e for e in server.log.entries if e["api"].endswith("_batch_poll")]
        direct = [e for e in server.log.entries if e["api"] in ("anthropic", "openai")]
    assert [r.ok for r in out] == [True] * 5 + [False]
    assert out[-1].error_kind in ("batch_errored",) and session.stats.failures_by_kind == {"batch_errored": 1}
    assert all("The answer is" in r.text and r.completion_tokens > 0 for r in out[:5])
    assert len(polls) >= 3 and not direct  # nothing went through the online endpoint
    assert cache.count() == 5


def test_batch_price_is_discounted_and_the_budget_is_checked_before_submitting(tmp_path: Path) -> None:
    price = Price(3.0, 15.0, discount=0.5)
    requests = [GenerationRequest(prompt=f"q{i}", max_tokens=50) for i in range(10)]
    budget = estimate_cost(requests[:4], price) * 1.01
    cache = ResponseCache(tmp_path / "c")
    with LoopbackLLMServer(batch_ready_after_polls=1) as server:
        session = GenerationSession(
            backend("openai", server, price, batch=True, ledger=cache, budget_usd=budget), cache, price
        )
        with pytest.raises(BudgetExceeded) as info:
            session.generate(requests)
        [submitted] = [e for e in server.log.entries if e["api"] == "openai_batch"]
    assert submitted["size"] == 4 and info.value.unsent == 6 and cache.count() == 4
    tokens = session.stats.prompt_tokens * 3.0 + session.stats.completion_tokens * 15.0
    assert session.stats.cost_usd == pytest.approx(tokens * 0.5 / 1e6)
