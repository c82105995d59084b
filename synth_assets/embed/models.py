"""Embedders: texts in, one L2-normalised float32 row per text out.

The default is WordLlama (`wordllama` on PyPI: numpy and tokenizers, its 256-d token embeddings
inside the wheel, no torch): 0.3 s to load and 0.5 s for 20,000 short texts on one core here.
Its own loader looks for the tokenizer under a directory name the wheel does not use and would
then download from the Hugging Face hub; the files are opened here from the wheel directly, so
nothing is ever downloaded. A user's own model plugs in as `sentence-transformers:<name>` when
that package is installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

DEFAULT = "wordllama"


class EmbedderError(RuntimeError):
    pass


class Embedder(Protocol):
    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


class WordLlamaEmbedder:
    name = "wordllama:l2_supercat_256"

    def __init__(self) -> None:
        import wordllama
        from safetensors import safe_open
        from tokenizers import Tokenizer
        from wordllama.inference import WordLlamaInference

        root = Path(wordllama.__file__).parent
        tokenizer_file = root / "tokenizers" / "l2_supercat_tokenizer_config.json"
        weights_file = root / "weights" / "l2_supercat_256.safetensors"
        if not (tokenizer_file.exists() and weights_file.exists()):
            raise EmbedderError(f"the wordllama wheel at {root} lacks its packaged model files")
        with safe_open(str(weights_file), framework="np", device="cpu") as handle:
            weights = handle.get_tensor("embedding.weight")
        self._model = WordLlamaInference(weights, Tokenizer.from_file(str(tokenizer_file)), binary=False)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 256), dtype=np.float32)
        return unit_rows(self._model.embed(list(texts), norm=False, batch_size=256))


class SentenceTransformersEmbedder:
    def __init__(self, model: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise EmbedderError(
                f"embedder 'sentence-transformers:{model}' needs the sentence-transformers package installed"
            ) from None
        self.name = f"sentence-transformers:{model}"
        self._model = SentenceTransformer(model)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._model.get_sentence_embedding_dimension() or 0), dtype=np.float32)
        return unit_rows(self._model.encode(list(texts), batch_size=256, show_progress_bar=False))


def local_spec(backend: str, model: str) -> str:
    """The `embedder()` spec of an experiment's local embedding model."""
    return DEFAULT if backend == DEFAULT else f"{backend}:{model}"


@lru_cache(maxsize=4)
def embedder(spec: str = DEFAULT) -> Embedder:
    """`wordllama` (default) or `sentence-transformers:<model name or path>`; loaded once per process."""
    if spec == DEFAULT:
        return WordLlamaEmbedder()
    kind, _, model = spec.partition(":")
    if kind == "sentence-transformers" and model:
        return SentenceTransformersEmbedder(model)
    raise EmbedderError(f"unknown embedder {spec!r}: 'wordllama' or 'sentence-transformers:<model>'")
