"""Local generation in a child process, for the test that interrupts it for real."""

from __future__ import annotations

import sys

from synth_assets.llm.base import GenerationRequest
from synth_assets.llm.cache import ResponseCache
from synth_assets.llm.interrupts import GenerationInterrupted
from synth_assets.llm.llamacpp_backend import LlamaCppGenerator
from synth_assets.llm.session import GenerationSession


def requests(n: int) -> list[GenerationRequest]:
    return [
        GenerationRequest(prompt=f"Write a long story about the number {i}.", max_tokens=64, seed=i) for i in range(n)
    ]


def main() -> None:
    cache_dir, n = sys.argv[1], int(sys.argv[2])
    with GenerationSession(LlamaCppGenerator("SmolLM2-135M-Instruct.Q4_1", parallel=4), ResponseCache(cache_dir)) as s:
        try:
            s.generate(requests(n), lambda done, total: print(f"done {done}", flush=True))
        except GenerationInterrupted as exc:
            sys.stderr.write(f"{exc}\n")
            sys.exit(128 + exc.signum)


if __name__ == "__main__":
    main()
