"""Embedding through an OpenAI-compatible /v1/embeddings endpoint as a stage does it (our session:
batches, dispatcher, response cache, stats) against what a user would write (the official SDK,
batches of the same size, an asyncio semaphore of the same width, base64 decoded with numpy), in
one run, against the same loopback server (own process, 0.1 s a request, 64-float vectors).

Judged by: ours/raw throughput >= 0.9 at every N (ours also writes every vector to the cache),
our per-text time at the largest N within 1.2x of the smallest, and a re-run served entirely
from the cache (no request) faster than the first run. Each measurement runs in a fresh process.

    .venv/bin/python bench/embedding_endpoint_bench.py [--sizes 10000 100000] [--window 16] [--batch 128]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import openai
from loopback_process import loopback_server

from synth_assets.embed.endpoint import EmbeddingsEndpoint
from synth_assets.embed.session import EmbeddingSession
from synth_assets.llm.cache import ResponseCache
from synth_assets.llm.dispatch import DispatchPolicy
from synth_assets.llm.openai_backend import OpenAIAPI

LATENCY_S = 0.1
MODEL = "bench-embedder"


def _texts(n: int) -> list[str]:
    return [f"row {i}: how many apples does farmer {i % 97} sell on market day {i % 31}?" for i in range(n)]


async def _raw(url: str, texts: list[str], window: int, batch: int) -> np.ndarray:
    client = openai.AsyncOpenAI(api_key="bench-key", base_url=f"{url}/v1", max_retries=0, timeout=60)
    sem = asyncio.Semaphore(window)

    async def one(chunk: list[str]) -> np.ndarray:
        async with sem:
            out = await client.embeddings.create(model=MODEL, input=chunk, encoding_format="base64")
            return np.stack([np.frombuffer(base64.b64decode(d.embedding), dtype="<f4") for d in out.data])

    try:
        parts = await asyncio.gather(*(one(texts[i : i + batch]) for i in range(0, len(texts), batch)))
    finally:
        await client.close()
    return np.vstack(parts)


def _ours(url: str, texts: list[str], window: int, batch: int, cache_dir: Path) -> np.ndarray:
    policy = DispatchPolicy(concurrency=window, max_concurrency=window, adaptive=False)
    api = OpenAIAPI(MODEL, "bench-key", f"{url}/v1", 60.0, connections=window)
    cache = ResponseCache(cache_dir)
    try:
        return EmbeddingSession(EmbeddingsEndpoint(api, policy, batch_size=batch), cache).embed(texts)
    finally:
        cache.close()


def measure(mode: str, url: str, n: int, window: int, batch: int) -> dict:
    texts = _texts(n)
    out: dict = {"mode": mode, "n": n}
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        if mode == "raw":
            vectors = asyncio.run(_raw(url, texts, window, batch))
        else:
            vectors = _ours(url, texts, window, batch, Path(tmp) / "c")
        out["seconds"] = time.perf_counter() - start
        if mode == "ours":
            start = time.perf_counter()
            again = _ours("http://127.0.0.1:9", texts, window, batch, Path(tmp) / "c")  # nothing listens there
            out["cached_seconds"] = time.perf_counter() - start
            out["cached_equal"] = bool(np.array_equal(again, vectors))
    out["rows"] = int(vectors.shape[0])
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _in_fresh_process(mode: str, url: str, n: int, window: int, batch: int) -> dict:
    cmd = [sys.executable, __file__, "--one", mode, url, str(n), str(window), str(batch)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{mode} N={n} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--window", type=int, default=16)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--one", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        mode, url, n, window, batch = args.one
        print(json.dumps(measure(mode, url, int(n), int(window), int(batch))))
        return 0
    passed = True
    per_text = {}
    with loopback_server(LATENCY_S) as url:
        print(
            f"loopback server {url} (own process), {LATENCY_S * 1000:.0f} ms a request, window {args.window}, "
            f"{args.batch} texts a request"
        )
        print(
            f"{'N':>7} {'raw texts/s':>11} {'ours texts/s':>12} {'ratio':>6} {'cached s':>8} "
            f"{'raw RSS MB':>10} {'ours RSS MB':>11}"
        )
        for n in args.sizes:
            raw = _in_fresh_process("raw", url, n, args.window, args.batch)
            ours = _in_fresh_process("ours", url, n, args.window, args.batch)
            ratio = raw["seconds"] / ours["seconds"]
            per_text[n] = ours["seconds"] / n
            complete = raw["rows"] == n and ours["rows"] == n and ours["cached_equal"]
            passed &= ratio >= 0.9 and complete and ours["cached_seconds"] < ours["seconds"]
            print(
                f"{n:>7} {n / raw['seconds']:>11.0f} {n / ours['seconds']:>12.0f} {ratio:>6.3f} "
                f"{ours['cached_seconds']:>8.2f} {raw['peak_rss_mb']:>10.0f} {ours['peak_rss_mb']:>11.0f}"
                + ("" if complete else "  INCOMPLETE")
            )
    growth = per_text[max(args.sizes)] / per_text[min(args.sizes)]
    passed &= growth <= 1.2
    print(f"per-text time at N={max(args.sizes)} / N={min(args.sizes)} = {growth:.3f} (target <= 1.2)")
    print("ratio ours/raw judged >= 0.9 at every N; the cached re-run must beat the first run")
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
