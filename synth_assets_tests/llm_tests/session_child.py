"""A generation run in a child process, for tests that kill it for real (SIGKILL, no cleanup) or
interrupt it (SIGINT, SIGTERM)."""

from __future__ import annotations

import argparse
import sys
from types import SimpleNamespace

from synth_assets.llm.base import GenerationRequest
from synth_assets.llm.cache import ResponseCache
from synth_assets.llm.interrupts import GenerationInterrupted
from synth_assets.llm.session import GenerationSession
from synth_assets_tests.llm_tests.remote import backend


def requests(n: int) -> list[GenerationRequest]:
    return [GenerationRequest(prompt=f"item {i}: explain the step", seed=i, max_tokens=32) for i in range(n)]


def open_cache(where: str) -> ResponseCache:
    """A directory (the local profile) or a PostgreSQL URL (the shared one)."""
    return ResponseCache(url=where) if where.startswith("postgresql://") else ResponseCache(where)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--cache", required=True)
    parser.add_argument("--provider", default="openai")
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--batch", action="store_true")
    args = parser.parse_args()
    server = SimpleNamespace(url=args.url)  # only its address is needed here
    cache = open_cache(args.cache)
    # a fixed window of 4, so the test knows how many calls can be in flight at the kill
    remote = backend(args.provider, server, batch=args.batch, ledger=cache, concurrency=4, adaptive=False)  # type: ignore[arg-type]
    try:
        GenerationSession(remote, cache).generate(requests(args.n))
    except GenerationInterrupted as exc:  # what `synth run` prints: one line, no traceback
        sys.stderr.write(f"{exc}\n")
        sys.exit(128 + exc.signum)


if __name__ == "__main__":
    main()
