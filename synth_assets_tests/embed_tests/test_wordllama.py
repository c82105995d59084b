"""Our WordLlama pooling equals the package's own inference (the mean of token embeddings),
with no padding and no download."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from synth_assets.embed.models import WordLlamaEmbedder


def test_the_sparse_mean_equals_wordllamas_own_inference(monkeypatch) -> None:
    import wordllama
    from safetensors import safe_open
    from tokenizers import Tokenizer
    from wordllama.inference import WordLlamaInference

    root = Path(wordllama.__file__).parent
    with safe_open(str(root / "weights" / "l2_supercat_256.safetensors"), framework="np", device="cpu") as handle:
        weights = handle.get_tensor("embedding.weight")
    tokenizer = Tokenizer.from_file(str(root / "tokenizers" / "l2_supercat_tokenizer_config.json"))
    reference = WordLlamaInference(weights, tokenizer, binary=False)
    texts = ["", "a", "How many apples are left?", "word " * 300, "naïve café: 3/4 of ½ — ∑ ✓", "x\ny\tz"] * 3
    ours = WordLlamaEmbedder()
    monkeypatch.setattr(ours, "chunk", 4)  # several chunks, one of them partial
    expected = reference.embed(texts, norm=False, batch_size=5)
    norms = np.linalg.norm(expected, axis=1, keepdims=True)
    expected = expected / np.where(norms == 0, 1.0, norms)
    np.testing.assert_allclose(ours.embed(texts), expected, atol=1e-6)
    assert ours.embed([]).shape == (0, 256)
