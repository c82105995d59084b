"""Remote generation under a rate limit: 1,000 requests against the loopback server (200 ms
latency, 1,200 requests per minute enforced with 429s), through the official SDK.

Judged by: throughput / limit >= 0.95 with zero duplicate requests, and a second run served from
the response cache >= 50x faster than the first. Prints the figures and both ratios.

    .venv/bin/python bench/llm_throughput_bench.py [--provider openai|anthropic] [--requests 1000]
        [--unknown-limit]   # the client learns the limit from 429s and rate-limit headers
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # test support lives beside the package

from synth_assets.llm.anthropic_backend import AnthropicAPI
from synth_assets.llm.base import GenerationRequest
from synth_assets.llm.cache import ResponseCache
from synth_assets.llm.dispatch import DispatchPolicy
from synth_assets.llm.openai_backend import OpenAIAPI
from synth_assets.llm.remote_backend import RemoteBackend
from synth_assets.llm.session import GenerationSession
from synth_assets_tests.support.loopback_server import LoopbackLLMServer

LIMIT_RPM = 1200
LATENCY_S = 0.2


def session(provider: str, server: LoopbackLLMServer, cache: ResponseCache, known: bool) -> GenerationSession:
    api = (
        AnthropicAPI("bench-model", "bench-key", server.url)
        if provider == "anthropic"
        else OpenAIAPI("bench-model", "bench-key", f"{server.url}/v1")
    )
    # Unknown limit: start at 8 in flight and let 429s and the rate-limit headers find the pace.
    policy = DispatchPolicy(concurrency=8, requests_per_minute=LIMIT_RPM if known else None)
    return GenerationSession(RemoteBackend(api, policy), cache)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--provider", choices=["openai", "anthropic"], default="openai")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--unknown-limit", action="store_true", help="do not tell the client the limit")
    args = parser.parse_args()
    requests = [GenerationRequest(prompt=f"request {i}: summarise the step", seed=i) for i in range(args.requests)]
    with tempfile.TemporaryDirectory() as tmp, LoopbackLLMServer(LATENCY_S, LIMIT_RPM) as server:
        cache = ResponseCache(Path(tmp) / "cache")
        start = time.perf_counter()
        first = session(args.provider, server, cache, not args.unknown_limit)
        out = first.generate(requests)
        cold = time.perf_counter() - start
        answered = server.log.prompts_answered()
        rejected = sum(1 for e in server.log.entries if e["status"] == 429)

        start = time.perf_counter()
        second = session(args.provider, server, cache, not args.unknown_limit)
        again = second.generate(requests)
        warm = time.perf_counter() - start
        calls_in_second = len(server.log.entries) - len(answered) - rejected

    rpm = len(requests) / cold * 60
    throughput_ratio = rpm / LIMIT_RPM
    duplicates = sum(n - 1 for n in answered.values())
    speedup = cold / warm
    ok = all(r.ok for r in out) and [r.text for r in out] == [r.text for r in again]
    print(f"provider             {args.provider} (official SDK) -> loopback, {LATENCY_S * 1000:.0f} ms latency")
    print(f"requests             {len(requests)}  failed {sum(not r.ok for r in out)}  429s {rejected}")
    print(f"first run            {cold:.2f} s  = {rpm:.0f} requests/min (limit {LIMIT_RPM})")
    print(f"duplicate requests   {duplicates}")
    print(f"second run (cache)   {warm:.3f} s  cache hits {second.stats.cache_hits}  calls {calls_in_second}")
    print(f"ratio throughput/limit {throughput_ratio:.3f}  (target >= 0.95)")
    print(f"ratio cold/cached      {speedup:.0f}x  (target >= 50x)")
    passed = ok and throughput_ratio >= 0.95 and duplicates == 0 and speedup >= 50 and calls_in_second == 0
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
