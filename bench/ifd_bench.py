"""Instruction-following difficulty (IFD) on the embedded model: what it costs and whether it
tells a response that answers its instruction from one that does not.

    .venv/bin/python bench/ifd_bench.py [--sizes 100 300] [--threads 2]

Rows are the human seeds' instruction tasks and math problems with their own reference
responses (the project's data, on every machine). For each size: seconds, and seconds per 1,000
rows (the cost `filters.reward_rank: ifd` adds to a round; each row is scored twice, with and
without its instruction). Then the separation it is judged by: for each task, IFD of its own
response against IFD of another task's (half the list away, so of another type), the share of
tasks where its own is lower, and the share of swapped pairs at IFD >= 1 (what reward_rank drops
as incoherent) against the share of own pairs there.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from synth_assets.filters.ifd import ifd_scores
from synth_assets.llm.llamacpp_backend import LlamaCppGenerator
from synth_assets.seeds.loaders import load_instruction_tasks, load_math_problems

PROJECT_DATA = Path(__file__).resolve().parents[1] / "data"


def own_pairs() -> list[tuple[str, str]]:
    seeds = PROJECT_DATA / "seeds"
    tasks = [(t.instruction, t.output) for t in load_instruction_tasks(seeds)]
    return tasks + [(m.question, m.solution) for m in load_math_problems(seeds)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    pairs = own_pairs()
    model = LlamaCppGenerator("SmolLM2-135M-Instruct.Q4_1", n_threads=args.threads)
    model.chat_prompt("warm up")  # the model loads outside the timings
    print(f"{'rows':>6} {'seconds':>8} {'s per 1,000 rows':>17}")
    for size in args.sizes:
        rows = (pairs * (size // len(pairs) + 1))[:size]
        start = time.perf_counter()
        ifd_scores(model, rows)
        seconds = time.perf_counter() - start
        print(f"{size:>6} {seconds:>8.1f} {1000 * seconds / size:>17.1f}")
    half = len(pairs) // 2
    swapped = [(q, pairs[(i + half) % len(pairs)][1]) for i, (q, _) in enumerate(pairs)]
    own, crossed = ifd_scores(model, pairs), ifd_scores(model, swapped)
    model.close()
    lower = sum(o < c for o, c in zip(own, crossed, strict=True)) / len(pairs)
    own_high = sum(o >= 1 for o in own) / len(pairs)
    crossed_high = sum(c >= 1 for c in crossed) / len(pairs)
    print(f"\n{len(pairs)} tasks: own response's IFD lower than a swapped one's for {lower:.1%}")
    print(f"IFD >= 1 (dropped as incoherent): swapped {crossed_high:.1%}, own {own_high:.1%}")
    print(f"ratio judged by: own-lower share {lower:.3f} (0.5 = no signal)")


if __name__ == "__main__":
    main()
