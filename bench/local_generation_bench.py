"""Local generation on 2 cores: batched decoding with shared prompts against one sequence at a
time, on the requests the default stages send.

The requests are built by the stages' own request builders from the project's human seeds, in a
default round's proportions: 3 Self-Instruct calls (8 in-context examples, 160 tokens), then k = 2
samples each of 8 general tasks (chat) and 10 math problems (few-shot with the round's 2 worked
examples), 128 tokens.

  baseline: llama-cpp-python's high-level API, one request at a time, in two single-threaded
            worker processes (the backend before batching, about 99 tokens/s of decoding alone);
  ours:     `LlamaCppGenerator` (batched decoding, a prompt evaluated once per group of samples).

Judged by: generated tokens per second counting prompt evaluation (total wall time), ours /
baseline >= 2.0.

    .venv/bin/python bench/local_generation_bench.py [--rounds 4]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from synth_assets.generate.cot import WorkedExample, trace_request  # noqa: E402
from synth_assets.generate.self_instruct import InContextExample, build_request  # noqa: E402
from synth_assets.llm.base import Generation, GenerationRequest  # noqa: E402
from synth_assets.llm.llamacpp_backend import LlamaCppGenerator, resolve_model_path  # noqa: E402
from synth_assets.seeds.loaders import load_instruction_tasks, load_math_problems  # noqa: E402

MODEL = "SmolLM2-135M-Instruct.Q4_1"
K = 2


def default_requests(rounds: int, seed: int = 0) -> list[GenerationRequest]:
    """What one default round sends, `rounds` times: 3 Self-Instruct calls (2 general, 1 math),
    then k samples of 8 general tasks (chat) and 10 math problems (the round's 2 worked examples)."""
    rng = random.Random(seed)
    general = load_instruction_tasks(ROOT / "data" / "seeds")
    math = load_math_problems(ROOT / "data" / "seeds")
    requests = []
    for _ in range(rounds):
        for family, texts in _self_instruct_calls(general, math):
            examples = [InContextExample(f"{family}-{j}", t) for j, t in enumerate(rng.sample(texts, 8))]
            requests.append(build_request(family, examples, 160, 0.9, 0.95, rng.randrange(2**31)))
        problems = rng.sample(math, 12)
        shots = [WorkedExample(r.question, r.solution) for r in problems[:2]]
        for task in rng.sample(general, 8):
            requests += [
                trace_request("general", task.instruction, task.input, [], 128, 0.9, 0.95, rng.randrange(2**31))
                for _ in range(K)
            ]
        for problem in problems[2:]:
            requests += [
                trace_request("math", problem.question, "", shots, 128, 0.9, 0.95, rng.randrange(2**31))
                for _ in range(K)
            ]
    return requests


def _self_instruct_calls(general: list, math: list) -> list[tuple[str, list[str]]]:
    general_texts, math_texts = [r.instruction for r in general], [r.question for r in math]
    return [("general", general_texts), ("general", general_texts), ("math", math_texts)]


_LLM: Any = None


def _load(path: str) -> None:
    global _LLM
    from llama_cpp import Llama

    _LLM = Llama(model_path=path, n_ctx=2048, n_threads=1, n_threads_batch=1, verbose=False, seed=0)


def _one(request: GenerationRequest) -> tuple[int, int]:
    """The high-level API, one request at a time (the cache is reset so each stands alone)."""
    params = {
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "seed": request.seed,
        "stop": list(request.stop) or None,
    }
    _LLM.reset()
    if request.mode == "continue":
        out = _LLM.create_completion(request.prompt, **params)
    else:
        messages = [{"role": "system", "content": request.system}] if request.system else []
        out = _LLM.create_chat_completion([*messages, {"role": "user", "content": request.prompt}], **params)
    return out["usage"]["prompt_tokens"], out["usage"]["completion_tokens"]


def baseline(requests: list[GenerationRequest]) -> tuple[float, int, int]:
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=ctx, initializer=_load, initargs=(str(resolve_model_path(MODEL)),)) as pool:
        list(pool.map(_one, requests[:2]))  # both workers loaded before the clock starts
        start = time.perf_counter()
        usage = list(pool.map(_one, requests))
        seconds = time.perf_counter() - start
    return seconds, sum(u[0] for u in usage), sum(u[1] for u in usage)


def ours(requests: list[GenerationRequest]) -> tuple[float, list[Generation]]:
    gen = LlamaCppGenerator(MODEL, n_threads=2)
    try:
        gen.generate(requests[:1])  # loaded before the clock starts
        start = time.perf_counter()
        out = gen.generate(requests)
        return time.perf_counter() - start, out
    finally:
        gen.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=4, help="default rounds' worth of requests (39 each)")
    args = parser.parse_args()
    requests = default_requests(args.rounds)
    print(f"{len(requests)} requests: {3 * args.rounds} Self-Instruct calls, {36 * args.rounds} traces (k = {K})")
    b_seconds, b_prompt, b_gen = baseline(requests)
    o_seconds, out = ours(requests)
    o_prompt = sum(r.prompt_tokens for r in out)
    o_gen = sum(r.completion_tokens for r in out)
    b_rate, o_rate = b_gen / b_seconds, o_gen / o_seconds
    print(
        f"baseline (2 workers x 1 thread, one request at a time): {b_seconds:6.1f} s  prompt {b_prompt} tokens, "
        f"generated {b_gen}: {b_rate:5.1f} generated tokens/s"
    )
    print(
        f"ours (batched, shared prompts):                          {o_seconds:6.1f} s  prompt {o_prompt} tokens, "
        f"generated {o_gen}: {o_rate:5.1f} generated tokens/s"
    )
    print(f"failed: {sum(not r.ok for r in out)}")
    ratio = o_rate / b_rate
    print(f"ratio ours/baseline {ratio:.2f}  (target >= 2.0)")
    print("PASS" if ratio >= 2.0 else "FAIL")
    return 0 if ratio >= 2.0 else 1


if __name__ == "__main__":
    sys.exit(main())
