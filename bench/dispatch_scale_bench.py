"""Remote generation as a stage grows: our dispatcher (with the response cache, as a stage runs it)
against the official OpenAI SDK driven by an asyncio semaphore of the same size, in one run,
against the same loopback server (own process, 0.1 s latency, no rate limit).

Judged by: ours/raw throughput >= 0.95 at every N, and our per-request time at the largest N
within 1.1x of the smallest (cost per request must not grow with the stage). Each measurement
runs in a fresh process, so its peak RSS is its own.

    .venv/bin/python bench/dispatch_scale_bench.py [--sizes 1000 10000 100000] [--windows 64 256]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import openai
from loopback_process import loopback_server

from synth_assets.llm.base import GenerationRequest
from synth_assets.llm.cache import ResponseCache
from synth_assets.llm.dispatch import DispatchPolicy
from synth_assets.llm.openai_backend import OpenAIAPI
from synth_assets.llm.remote_backend import RemoteBackend
from synth_assets.llm.session import GenerationSession

LATENCY_S = 0.1
MODEL = "bench-model"


def _requests(n: int) -> list[GenerationRequest]:
    return [GenerationRequest(prompt=f"request {i}: summarise the step", seed=i, max_tokens=32) for i in range(n)]


async def _raw(url: str, n: int, window: int) -> int:
    """What a user would write: one coroutine per request, a semaphore, the SDK's async client."""
    client = openai.AsyncOpenAI(api_key="bench-key", base_url=f"{url}/v1", max_retries=0, timeout=60)
    sem = asyncio.Semaphore(window)

    async def one(i: int) -> bool:
        async with sem:
            out = await client.chat.completions.create(
                model=MODEL,
                messages=[{"role": "user", "content": f"request {i}: summarise the step"}],
                max_tokens=32,
                seed=i,
            )
            return bool(out.choices[0].message.content)

    try:
        return sum(await asyncio.gather(*(one(i) for i in range(n))))
    finally:
        await client.close()


def _ours(url: str, requests: list, window: int, cache_dir: Path) -> int:
    """A stage's path: the session (response cache, stats) over the remote backend."""
    cache = ResponseCache(cache_dir)
    policy = DispatchPolicy(concurrency=window, max_concurrency=window, adaptive=False)
    backend = RemoteBackend(OpenAIAPI(MODEL, "bench-key", f"{url}/v1", 60.0, connections=window), policy)
    out = GenerationSession(backend, cache).generate(requests)
    cache.close()
    return sum(r.ok for r in out)


def measure(mode: str, url: str, n: int, window: int) -> dict:
    """Imports and request objects are made before the clock starts, for both sides."""
    requests = _requests(n)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        ok = asyncio.run(_raw(url, n, window)) if mode == "raw" else _ours(url, requests, window, Path(tmp) / "c")
        seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"mode": mode, "n": n, "window": window, "ok": ok, "seconds": seconds, "peak_rss_mb": rss_mb}


def _in_fresh_process(mode: str, url: str, n: int, window: int) -> dict:
    cmd = [sys.executable, __file__, "--one", mode, url, str(n), str(window)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{mode} N={n} window={window} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--windows", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--one", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        mode, url, n, window = args.one
        print(json.dumps(measure(mode, url, int(n), int(window))))
        return 0
    passed = True
    with loopback_server(LATENCY_S) as url:
        print(f"loopback server {url} (own process), latency {LATENCY_S * 1000:.0f} ms, no rate limit")
        print(
            f"{'window':>6} {'N':>7} {'raw req/s':>10} {'ours req/s':>11} {'ratio':>6} "
            f"{'ours ms/req':>11} {'raw RSS MB':>10} {'ours RSS MB':>11}"
        )
        for window in args.windows:
            per_request = {}
            for n in args.sizes:
                raw = _in_fresh_process("raw", url, n, window)
                ours = _in_fresh_process("ours", url, n, window)
                ratio = raw["seconds"] / ours["seconds"]
                per_request[n] = ours["seconds"] / n * 1000
                complete = raw["ok"] == n and ours["ok"] == n
                passed &= ratio >= 0.95 and complete
                print(
                    f"{window:>6} {n:>7} {n / raw['seconds']:>10.0f} {n / ours['seconds']:>11.0f} {ratio:>6.3f} "
                    f"{per_request[n]:>11.3f} {raw['peak_rss_mb']:>10.0f} {ours['peak_rss_mb']:>11.0f}"
                    + ("" if complete else "  INCOMPLETE")
                )
            growth = per_request[max(args.sizes)] / per_request[min(args.sizes)]
            passed &= growth <= 1.1
            print(
                f"window {window}: per-request time at N={max(args.sizes)} / N={min(args.sizes)} = {growth:.3f} "
                "(target <= 1.1)"
            )
    print("ratio ours/raw judged >= 0.95 at every N")
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
