"""An OpenAI-compatible /v1/embeddings endpoint through the official SDK (the loopback server
speaks its wire protocol): batching, the response cache, limits and retries, cost and budget,
answers that are not vectors, and the key kept out of everything."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from synth_assets.embed.endpoint import EmbeddingsEndpoint
from synth_assets.embed.models import EmbedderError
from synth_assets.embed.session import EmbeddingSession
from synth_assets.llm.cache import ResponseCache
from synth_assets.llm.dispatch import BudgetExceeded, DispatchPolicy
from synth_assets.llm.pricing import Price
from synth_assets_tests.llm_tests.remote import OPENAI_KEY, api
from synth_assets_tests.support.loopback_server import LoopbackLLMServer, bag_of_words_vector

TEXTS = [f"row {i}: how many apples does farmer {i % 7} sell on day {i % 5}" for i in range(300)]


def session(
    server: LoopbackLLMServer,
    cache: ResponseCache | None,
    price: Price | None = None,
    batch_size: int = 64,
    dimensions: int | None = None,
    log: Any = None,
    **policy: Any,
) -> EmbeddingSession:
    rules = DispatchPolicy(**{"backoff_base_s": 0.02, "backoff_cap_s": 0.2, **policy})
    endpoint = EmbeddingsEndpoint(api("openai", server, model="embed-test"), rules, price, batch_size, dimensions)
    return EmbeddingSession(endpoint, cache, log=log)


def expected(texts: list[str], dims: int = 64) -> np.ndarray:
    rows = np.array([bag_of_words_vector(t, dims) for t in texts], dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_vectors_arrive_in_order_batched_and_cached(tmp_path: Path) -> None:
    texts = [*TEXTS, TEXTS[0], TEXTS[1]]  # repeats are embedded once
    with LoopbackLLMServer() as server:
        first = session(server, ResponseCache(tmp_path / "cache"))
        vectors = first.embed(texts)
        calls = server.log.answered("embeddings")
        again = session(server, ResponseCache(tmp_path / "cache"))
        cached = again.embed(list(reversed(texts)))
        calls_after = server.log.answered("embeddings")
    np.testing.assert_allclose(vectors, expected(texts), atol=1e-6)
    assert sorted(c["texts"] for c in calls) == [44, 64, 64, 64, 64]
    assert all(c["body"]["encoding_format"] == "base64" and c["body"]["model"] == "embed-test" for c in calls)
    assert (first.stats.requests, first.stats.cache_misses, first.stats.calls) == (300, 300, 5)
    assert len(calls_after) == len(calls), "a second run pays for nothing it has"
    assert (again.stats.cache_hits, again.stats.cache_misses) == (300, 0)
    np.testing.assert_array_equal(cached, vectors[::-1])


def test_dimensions_are_sent_and_keyed_apart(tmp_path: Path) -> None:
    with LoopbackLLMServer() as server:
        cache = ResponseCache(tmp_path / "cache")
        short = session(server, cache, dimensions=16).embed(TEXTS[:10])
        full = session(server, cache).embed(TEXTS[:10])
        bodies = [c["body"] for c in server.log.answered("embeddings")]
    assert short.shape == (10, 16) and full.shape == (10, 64)
    assert [b.get("dimensions") for b in bodies] == [16, None]


def test_rate_limits_and_faults_are_retried(tmp_path: Path) -> None:
    texts = [*TEXTS[:40], "flaky [[fault:500*2]]", "throttled [[fault:429*1]]", "cut [[fault:drop*1]]"]
    with LoopbackLLMServer(requests_per_minute=600, burst=2) as server:
        s = session(server, ResponseCache(tmp_path / "cache"), batch_size=8, concurrency=4)
        vectors = s.embed(texts)
        statuses = [e["status"] for e in server.log.entries]
    np.testing.assert_allclose(vectors, expected(texts), atol=1e-6)
    assert 429 in statuses and 500 in statuses
    assert s.stats.retries >= 4 and s.stats.failed == 0


@pytest.mark.parametrize("fault", ["nan", "short", "malformed"])
def test_an_answer_that_is_not_one_finite_vector_per_text_is_never_used(tmp_path: Path, fault: str) -> None:
    """Retried as malformed; when it stays bad, the stage fails naming the model, and the good
    batches stay cached."""
    bad = f"poisoned [[fault:{fault}*9]]"
    with LoopbackLLMServer() as server:
        s = session(server, ResponseCache(tmp_path / "cache"), batch_size=4, max_retries=2)
        with pytest.raises(EmbedderError, match=r"openai:embed-test: 4 of 12 texts got no embedding \(malformed"):
            s.embed([*TEXTS[:4], bad, *TEXTS[4:11]])
        retry = session(server, ResponseCache(tmp_path / "cache"), batch_size=4)
        retry.embed(TEXTS[:4] + TEXTS[8:11])
    assert s.stats.failed == 1 and s.stats.calls == 2 + 3
    assert retry.stats.cache_misses == 0


def test_cost_is_counted_and_the_budget_stops_before_it_is_crossed(tmp_path: Path) -> None:
    price = Price(input_per_mtok=100_000.0, output_per_mtok=0.0)  # $0.1 a token: a budget bites fast
    with LoopbackLLMServer() as server:
        paid = session(server, ResponseCache(tmp_path / "paid"), price)
        paid.embed(TEXTS[:64])
        tokens = sum(len(t.split()) for t in TEXTS[:64])
        capped = session(server, ResponseCache(tmp_path / "capped"), price, batch_size=16, budget_usd=60.0)
        with pytest.raises(BudgetExceeded) as stopped:
            capped.embed(TEXTS[:64])
    assert paid.stats.prompt_tokens == tokens and paid.stats.cost_usd == pytest.approx(tokens * 0.1)
    assert stopped.value.spent <= 60.0 and 0 < capped.stats.cost_usd <= 60.0
    assert ResponseCache(tmp_path / "capped").count() == 16 * capped.stats.calls, "what was bought is kept"


def test_the_key_reaches_the_endpoint_and_nothing_else(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with LoopbackLLMServer() as server:
        s = session(server, ResponseCache(tmp_path / "cache"), log=logging.getLogger("stage").info, max_retries=0)
        with pytest.raises(EmbedderError) as refused:
            s.embed(["rejected [[fault:401*1]]", *TEXTS[:3]])
        sent = [h for h in server.headers_seen if OPENAI_KEY in h.get("authorization", "")]
    assert sent
    assert "authentication_error" in str(refused.value) and OPENAI_KEY not in str(refused.value)
    assert OPENAI_KEY not in caplog.text and OPENAI_KEY not in str(s.stats.summary())
    for path in (tmp_path / "cache").rglob("*"):
        assert not path.is_file() or OPENAI_KEY.encode() not in path.read_bytes(), path
