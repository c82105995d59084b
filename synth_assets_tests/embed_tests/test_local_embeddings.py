"""The packaged WordLlama model behind the session: unit rows in order, and vectors kept in the
response cache so a re-run (or the next round's pool comparison) does not embed them again."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from synth_assets.embed.models import embedder
from synth_assets.embed.session import EmbeddingSession, LocalEmbeddings
from synth_assets.llm.cache import ResponseCache

TEXTS = [f"how many apples does farmer {i} sell on day {i % 7}" for i in range(50)]


class Counting:
    """WordLlama, counting the texts it is asked to embed."""

    def __init__(self) -> None:
        self.model, self.name, self.texts = embedder(), embedder().name, 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts += len(texts)
        return self.model.embed(texts)


def test_local_vectors_are_cached_and_read_back_exactly(tmp_path: Path) -> None:
    first_model, again_model = Counting(), Counting()
    first = EmbeddingSession(LocalEmbeddings(first_model), ResponseCache(tmp_path / "c"))
    vectors = first.embed([*TEXTS, TEXTS[0]])
    again = EmbeddingSession(LocalEmbeddings(again_model), ResponseCache(tmp_path / "c"))
    reread = again.embed(TEXTS[::-1])
    assert vectors.shape == (51, 256) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(reread, vectors[:50][::-1])
    assert first_model.texts == 50 and (first.stats.cache_misses, first.stats.requests) == (50, 50)
    assert again_model.texts == 0 and again.stats.cache_hits == 50
    assert first.label == "wordllama:l2_supercat_256"


def test_without_a_cache_the_model_answers_every_call() -> None:
    model = Counting()
    session = EmbeddingSession(LocalEmbeddings(model))
    session.embed(TEXTS)
    session.embed(TEXTS)
    assert model.texts == 100 and session.stats.cache_hits == 0
    assert session.embed([]).shape == (0, 256)
