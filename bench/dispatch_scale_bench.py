"""Remote generation as a stage grows, side by side against one loopback server (own process,
0.1 s latency, no rate limit), each measurement in a fresh process so its peak RSS is its own:

- `raw sdk`: what a user would write: the official `AsyncOpenAI` client, a coroutine per request
  and an asyncio semaphore of the window's size;
- `ours sdk`: our stage path (response cache, dispatcher) sending through the SDK: what we did
  before the wire, the reference for memory;
- `ours fixed`: the stage path on the wire (aiohttp), a fixed window;
- `ours default`: the same with the default policy (a window that starts at 8 and ramps up);
- `bound`: the latency's ceiling, window / latency;
- peers (Curator, distilabel) when installed here; a line says so when they are not.

Judged by: ours (default policy) >= 0.9 of the bound at every N >= 20,000; the default policy
>= 0.95 of the fixed window at every N; peak RSS on the wire no higher than through the SDK at
the same N; every request answered; per-request time at the largest N within 1.1x of the
smallest (cost must not grow with the stage).

    .venv/bin/python bench/dispatch_scale_bench.py [--sizes 2000 20000 100000] [--windows 64]  # ~30 min
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
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
MODES = ("raw", "sdk", "fixed", "default")
PEERS = {"curator": "bespokelabs.curator", "distilabel": "distilabel"}


def _requests(n: int) -> list[GenerationRequest]:
    return [GenerationRequest(prompt=f"request {i}: summarise the step", seed=i, max_tokens=32) for i in range(n)]


async def _raw(url: str, n: int, window: int) -> int:
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


def _ours(url: str, requests: list, window: int, cache_dir: Path, mode: str) -> int:
    """A stage's path: the session (response cache, stats) over the remote backend."""
    cache = ResponseCache(cache_dir)
    if mode == "default":
        policy = DispatchPolicy(concurrency=DispatchPolicy().concurrency, max_concurrency=window, adaptive=True)
    else:
        policy = DispatchPolicy(concurrency=window, max_concurrency=window, adaptive=False)
    transport = "sdk" if mode == "sdk" else "wire"
    api = OpenAIAPI(MODEL, "bench-key", f"{url}/v1", 60.0, connections=window, transport=transport)
    out = GenerationSession(RemoteBackend(api, policy), cache).generate(requests)
    cache.close()
    return sum(r.ok for r in out)


def measure(mode: str, url: str, n: int, window: int) -> dict:
    """Imports and request objects are made before the clock starts, for every side."""
    requests = _requests(n)
    with tempfile.TemporaryDirectory() as tmp:
        start, cpu = time.perf_counter(), time.process_time()
        ours = mode != "raw"
        ok = _ours(url, requests, window, Path(tmp) / "c", mode) if ours else asyncio.run(_raw(url, n, window))
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"mode": mode, "n": n, "ok": ok, "seconds": seconds, "cpu_ms": cpu / n * 1000, "peak_rss_mb": rss_mb}


def _in_fresh_process(mode: str, url: str, n: int, window: int) -> dict:
    cmd = [sys.executable, __file__, "--one", mode, url, str(n), str(window)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{mode} N={n} window={window} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _peer_lines() -> list[str]:
    """Peers are measured only where they are installed; they are not our dependencies."""
    lines = []
    for name, module in PEERS.items():
        if importlib.util.find_spec(module.split(".")[0]) is None:
            lines.append(f"{name}: not installed in this environment, skipped")
        else:
            lines.append(f"{name}: installed, but this benchmark has no driver for it yet, skipped")
    return lines


def _row(window: int, n: int, runs: dict[str, dict]) -> tuple[str, dict[str, float]]:
    bound = window / LATENCY_S
    rate = {mode: n / r["seconds"] for mode, r in runs.items()}
    ratios = {
        "default/bound": rate["default"] / bound,
        "fixed/bound": rate["fixed"] / bound,
        "default/fixed": rate["default"] / rate["fixed"],
        "fixed/raw": rate["fixed"] / rate["raw"],
        "rss wire/sdk": runs["fixed"]["peak_rss_mb"] / runs["sdk"]["peak_rss_mb"],
    }
    cells = [f"{window:>6} {n:>7} {bound:>6.0f}"]
    cells += [f"{rate[m]:>7.0f}" for m in MODES]
    cells += [f"{v:>13.3f}" for v in ratios.values()]
    cells += [f"{runs[m]['cpu_ms']:>6.2f}" for m in MODES]
    cells += [f"{runs[m]['peak_rss_mb']:>5.0f}" for m in MODES]
    complete = all(r["ok"] == n for r in runs.values())
    return " ".join(cells) + ("" if complete else "  INCOMPLETE"), ratios | {"complete": float(complete)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000, 100000])
    parser.add_argument("--windows", type=int, nargs="+", default=[64])
    parser.add_argument("--one", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        mode, url, n, window = args.one
        print(json.dumps(measure(mode, url, int(n), int(window))))
        return 0
    passed = True
    with loopback_server(LATENCY_S) as url:
        print(f"loopback server {url} (own process), latency {LATENCY_S * 1000:.0f} ms, no rate limit")
        print("requests/s by path; ratios; client CPU ms per request by path; peak RSS MB by path")
        ratio_names = ("default/bound", "fixed/bound", "default/fixed", "fixed/raw", "rss wire/sdk")
        header = [f"{'window':>6} {'N':>7} {'bound':>6}"] + [f"{m:>7}" for m in MODES]
        header += [f"{r:>13}" for r in ratio_names] + [f"{'cpu ' + m[:3]:>6}" for m in MODES]
        header += [f"{m[:5]:>5}" for m in MODES]
        print(" ".join(header))
        for window in args.windows:
            per_request = {}
            for n in args.sizes:
                runs = {mode: _in_fresh_process(mode, url, n, window) for mode in MODES}
                line, ratios = _row(window, n, runs)
                print(line, flush=True)
                per_request[n] = runs["default"]["seconds"] / n
                passed &= bool(ratios["complete"]) and ratios["default/fixed"] >= 0.95
                passed &= ratios["rss wire/sdk"] <= 1.0
                passed &= n < 20000 or ratios["default/bound"] >= 0.9
            growth = per_request[max(args.sizes)] / per_request[min(args.sizes)]
            passed &= growth <= 1.1
            print(f"window {window}: per-request time at N={max(args.sizes)} / N={min(args.sizes)} = {growth:.3f}")
    for line in _peer_lines():
        print(line)
    print(
        "judged: default/bound >= 0.9 at N >= 20,000; default/fixed >= 0.95; rss wire/sdk <= 1.0; "
        "every request answered; per-request time growth <= 1.1"
    )
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
