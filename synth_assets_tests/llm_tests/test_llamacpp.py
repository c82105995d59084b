"""The embedded model, for real: loaded from site-packages, seeded, failures returned as rows."""

from typing import Any

import pytest

from synth_assets.llm.base import GenerationRequest
from synth_assets.llm.llamacpp_backend import LlamaCppGenerator, resolve_model_path

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def gen() -> LlamaCppGenerator:
    return LlamaCppGenerator("SmolLM2-135M-Instruct.Q4_1")


def test_model_ships_inside_a_package() -> None:
    path = resolve_model_path("SmolLM2-135M-Instruct.Q4_1")
    assert "site-packages" in str(path) and path.stat().st_size > 50_000_000


def test_same_seed_same_text_other_seed_other_text(gen: LlamaCppGenerator) -> None:
    req = GenerationRequest(prompt="Name three fruits.", max_tokens=24, temperature=1.0, seed=5)
    first, again, other = gen.generate([req, req, GenerationRequest(**{**req.__dict__, "seed": 6})])
    assert first.ok and first.text and first.completion_tokens > 0 and first.prompt_tokens > 0
    assert first.text == again.text
    assert other.text != first.text


def test_continue_mode_extends_raw_text_and_honours_stop(gen: LlamaCppGenerator) -> None:
    req = GenerationRequest(
        prompt="Come up with a series of tasks:\n\n1. Write a poem.\n2.",
        mode="continue",
        max_tokens=40,
        seed=1,
        stop=("\n\n",),
    )
    [out] = gen.generate([req])
    assert out.ok and "\n\n" not in out.text


def test_context_overflow_becomes_a_failed_result_not_an_exception() -> None:
    small = LlamaCppGenerator("SmolLM2-135M-Instruct.Q4_1", n_ctx=128)
    [out] = small.generate([GenerationRequest(prompt="word " * 400, max_tokens=8)])
    assert not out.ok and out.finish_reason == "error" and "ValueError" in out.error


def test_unknown_model_is_a_clear_error() -> None:
    with pytest.raises(FileNotFoundError, match="not found"):
        LlamaCppGenerator("no-such-model.gguf")


def _generate_in_a_child() -> None:
    two = LlamaCppGenerator("SmolLM2-135M-Instruct.Q4_1", n_threads=2, workers=2)
    assert all(
        r.ok for r in two.generate([GenerationRequest(prompt=f"hi {i}", max_tokens=8, seed=i) for i in range(4)])
    )


def test_worker_processes_match_one_process_and_let_a_child_process_exit() -> None:
    """A Dagster step is a multiprocessing child: it used to hang on exit joining our workers."""
    import multiprocessing

    requests = [GenerationRequest(prompt=f"Name a colour {i}.", max_tokens=12, seed=i) for i in range(4)]
    one = LlamaCppGenerator("SmolLM2-135M-Instruct.Q4_1", n_threads=2, workers=1).generate(requests)
    two = LlamaCppGenerator("SmolLM2-135M-Instruct.Q4_1", n_threads=2, workers=2).generate(requests)
    assert [r.text for r in one] == [r.text for r in two]
    child = multiprocessing.get_context("spawn").Process(target=_generate_in_a_child)
    child.start()
    child.join(90)
    alive = child.is_alive()
    if alive:
        child.kill()
    assert not alive and child.exitcode == 0


def _pool_then_wait(pids: Any) -> None:
    import time as _time

    from synth_assets.llm import llamacpp_backend

    gen = LlamaCppGenerator("SmolLM2-135M-Instruct.Q4_1", n_threads=2, workers=2)
    gen.generate([GenerationRequest(prompt=f"hi {i}", max_tokens=8, seed=i) for i in range(4)])
    pids.put(list(llamacpp_backend._pool(2)._processes))
    _time.sleep(120)


def _alive(pid: int) -> bool:
    """A zombie is dead; a process that exits between open() and read() raises ESRCH
    (ProcessLookupError), not FileNotFoundError: every OSError means gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return "\nState:\tZ" not in status.read()
    except OSError:
        return False


def test_workers_exit_when_their_parent_is_killed() -> None:
    """A SIGKILLed step (a terminated run) must not leave model processes behind."""
    import multiprocessing
    import time

    ctx = multiprocessing.get_context("spawn")
    pids = ctx.Queue()
    child = ctx.Process(target=_pool_then_wait, args=(pids,))
    child.start()
    workers = pids.get(timeout=90)
    assert workers and all(_alive(p) for p in workers)  # the pool starts workers as it needs them
    child.kill()
    child.join()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(p) for p in workers)
