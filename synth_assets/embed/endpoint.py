"""Embeddings from an OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, vLLM, Ollama, TEI,
llama.cpp's server), through the official SDK and the same dispatcher as generation: concurrency
that adapts to 429s, requests and tokens per minute, retries with backoff, a spending budget
checked before each request, and a stop on SIGINT/SIGTERM that keeps what was answered.

Texts go in batches (`batch_size` a request). Vectors travel as base64 float32, which every
such server speaks and the SDK asks for by default; an answer that is not one finite vector of
one width per text is a malformed response, retried like any other, never half-used.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from synth_assets.llm.base import Generation, parsed
from synth_assets.llm.dispatch import DispatchPolicy, dispatch
from synth_assets.llm.interrupts import GenerationInterrupted, StopRequest
from synth_assets.llm.pricing import Price, input_tokens_at_most
from synth_assets.llm.remote_backend import run_sync

BatchResultFn = Callable[[Sequence[str], Generation, "np.ndarray | None"], None]


def encode(vectors: np.ndarray) -> str:
    """A float32 matrix as base64 (little-endian, row after row): how answers are cached."""
    return base64.b64encode(np.ascontiguousarray(vectors, dtype="<f4").tobytes()).decode("ascii")


def decode(text: str, rows: int) -> np.ndarray:
    flat = np.frombuffer(base64.b64decode(text), dtype="<f4")
    if rows == 0 or flat.size % rows:
        raise ValueError(f"{flat.size} floats do not split into {rows} vectors")
    return flat.reshape(rows, flat.size // rows)


@dataclass(frozen=True)
class EmbeddingBatch:
    texts: tuple[str, ...]

    def estimated_tokens(self) -> tuple[int, int]:
        """Input tokens at most (as for a prompt, per text); embeddings have no output tokens."""
        return sum(input_tokens_at_most(len(t)) for t in self.texts), 0


def batches(texts: Sequence[str], size: int) -> list[EmbeddingBatch]:
    return [EmbeddingBatch(tuple(texts[i : i + size])) for i in range(0, len(texts), size)]


def _vector(item: Any) -> np.ndarray:
    raw = item.embedding
    if isinstance(raw, str):  # base64, as asked
        return np.frombuffer(base64.b64decode(raw), dtype="<f4")
    return np.asarray(raw, dtype=np.float32)  # servers that ignore encoding_format send floats


def answer_vectors(response: Any, expected: int) -> np.ndarray:
    """The response's vectors in input order, or ValueError: a malformed answer is retried."""
    data = sorted(response.data, key=lambda item: item.index)
    if [item.index for item in data] != list(range(expected)):
        raise ValueError(f"the endpoint answered {len(data)} embeddings for {expected} texts")
    vectors = [_vector(item) for item in data]
    widths = {v.size for v in vectors}
    if len(widths) != 1 or 0 in widths:
        raise ValueError(f"the endpoint answered vectors of widths {sorted(widths)} in one batch")
    matrix = np.stack(vectors)
    if not np.isfinite(matrix).all():
        raise ValueError("the endpoint answered vectors with NaN or infinite values")
    return matrix


class EmbeddingsEndpoint:
    """One model on one endpoint; `api` is the generation adapter (`OpenAIAPI`), whose client,
    connection pool and key scrubbing are reused."""

    def __init__(
        self,
        api: Any,
        policy: DispatchPolicy,
        price: Price | None = None,
        batch_size: int = 128,
        dimensions: int | None = None,
    ) -> None:
        self.api, self.policy, self.price = api, policy, price
        self.batch_size, self.dimensions = batch_size, dimensions
        self.label = self.cache_tag = f"{api.name}:{api.model}" + (f"@{dimensions}" if dimensions else "")
        self.spent = 0.0  # across calls: the budget covers a whole materialization

    def embed(self, texts: Sequence[str], on_batch: BatchResultFn) -> None:
        """Each batch's vectors (None when it failed) go to `on_batch` as they arrive."""
        work = batches(texts, self.batch_size)
        stop = StopRequest()
        answered = 0

        def report(index: int, result: Generation) -> None:
            nonlocal answered
            batch = work[index].texts
            self.spent += self.price.cost(result.prompt_tokens, 0) if self.price else 0.0
            answered += len(batch) if result.ok else 0
            on_batch(batch, result, decode(result.text, len(batch)) if result.ok else None)

        run_sync(lambda: self._dispatch(work, report, stop), stop)
        if stop.signum is not None:
            raise GenerationInterrupted(stop.signum, answered, len(texts) - answered, self.label)

    async def _dispatch(
        self, work: list[EmbeddingBatch], report: Callable[[int, Generation], None], stop: StopRequest
    ) -> None:
        client = self.api.client()
        try:
            call = lambda batch: self._call(client, batch)  # noqa: E731 - binds the open client
            await dispatch(work, call, self.policy, report, self.price, self.api.secrets, self.spent, stop)
        finally:
            await client.close()

    async def _call(self, client: Any, batch: EmbeddingBatch) -> tuple[Generation, Mapping[str, str]]:
        params: dict[str, Any] = {"model": self.api.model, "input": list(batch.texts), "encoding_format": "base64"}
        if self.dimensions:
            params["dimensions"] = self.dimensions
        raw = await client.embeddings.with_raw_response.create(**params)
        response = await parsed(raw)
        vectors = answer_vectors(response, len(batch.texts))
        tokens = getattr(response.usage, "prompt_tokens", 0) or 0
        return Generation(text=encode(vectors), finish_reason="embedding", prompt_tokens=tokens), raw.headers
