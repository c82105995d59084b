"""Remote generation as a stage grows: our dispatcher (with the response cache, as a stage runs it)
with its default policy (a window that starts at 8 and ramps up to the maximum) and with a fixed
window, against the official OpenAI SDK driven by an asyncio semaphore of the same size, and the
bound the latency sets (window / latency), in one run, against the same loopback server (own
process, 0.1 s latency, no rate limit).

Judged by: ours (fixed window) / raw throughput >= 0.95 at every N; the default policy >= 0.95 of
the fixed window; our per-request time at the largest N within 1.1x of the smallest (cost per
request must not grow with the stage). Each measurement runs in a fresh process, so its peak RSS
is its own.

    .venv/bin/python bench/dispatch_scale_bench.py [--sizes 2000 20000 100000] [--windows 64 256]
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


def _ours(url: str, requests: list, window: int, cache_dir: Path, ramp: bool) -> int:
    """A stage's path: the session (response cache, stats) over the remote backend; `ramp`: the
    default policy's start (8 in flight) and adaptive growth up to `window`."""
    cache = ResponseCache(cache_dir)
    if ramp:
        policy = DispatchPolicy(concurrency=DispatchPolicy().concurrency, max_concurrency=window, adaptive=True)
    else:
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
        if mode == "raw":
            ok = asyncio.run(_raw(url, n, window))
        else:
            ok = _ours(url, requests, window, Path(tmp) / "c", ramp=mode == "default")
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
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000, 100000])
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
            f"{'window':>6} {'N':>7} {'bound/s':>8} {'raw/s':>7} {'fixed/s':>8} {'default/s':>9} "
            f"{'fixed/raw':>9} {'default/fixed':>13} {'fixed/bound':>11} {'fixed ms/req':>12} "
            f"{'raw MB':>7} {'fixed MB':>8} {'default MB':>10}"
        )
        for window in args.windows:
            per_request = {}
            bound = window / LATENCY_S
            for n in args.sizes:
                runs = {mode: _in_fresh_process(mode, url, n, window) for mode in ("raw", "fixed", "default")}
                rate = {mode: n / r["seconds"] for mode, r in runs.items()}
                per_request[n] = runs["fixed"]["seconds"] / n * 1000
                complete = all(r["ok"] == n for r in runs.values())
                passed &= rate["fixed"] / rate["raw"] >= 0.95 and rate["default"] / rate["fixed"] >= 0.95 and complete
                print(
                    f"{window:>6} {n:>7} {bound:>8.0f} {rate['raw']:>7.0f} {rate['fixed']:>8.0f} "
                    f"{rate['default']:>9.0f} "
                    f"{rate['fixed'] / rate['raw']:>9.3f} {rate['default'] / rate['fixed']:>13.3f} "
                    f"{rate['fixed'] / bound:>11.3f} {per_request[n]:>12.3f} {runs['raw']['peak_rss_mb']:>7.0f} "
                    f"{runs['fixed']['peak_rss_mb']:>8.0f} {runs['default']['peak_rss_mb']:>10.0f}"
                    + ("" if complete else "  INCOMPLETE")
                )
            growth = per_request[max(args.sizes)] / per_request[min(args.sizes)]
            passed &= growth <= 1.1
            print(
                f"window {window}: per-request time at N={max(args.sizes)} / N={min(args.sizes)} = {growth:.3f} "
                "(target <= 1.1)"
            )
    print("judged: fixed/raw >= 0.95 and default/fixed >= 0.95 at every N (fixed/bound is reported, target 0.9)")
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
