"""The embedded model, for real: loaded from site-packages, seeded, failures returned as rows."""

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from synth_assets.llm.base import GenerationRequest
from synth_assets.llm.llamacpp_backend import LlamaCppGenerator, resolve_model_path

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def gen() -> Iterator[LlamaCppGenerator]:
    generator = LlamaCppGenerator("SmolLM2-135M-Instruct.Q4_1")
    yield generator
    generator.close()


def test_model_ships_inside_a_package() -> None:
    path = resolve_model_path("SmolLM2-135M-Instruct.Q4_1")
    assert "site-packages" in str(path) and path.stat().st_size > 50_000_000


def test_same_requests_same_texts_other_seed_other_text(gen: LlamaCppGenerator) -> None:
    """Batched decoding keeps seeded outputs: the same requests give the same texts, a request
    reports its own prompt and completion tokens, and the seed is what tells samples apart."""
    reqs = [GenerationRequest(prompt="Name three fruits.", max_tokens=24, temperature=1.0, seed=s) for s in (5, 6)]
    reqs += [GenerationRequest(prompt=f"Count to {n}.", max_tokens=16, seed=n) for n in range(3, 9)]
    first, again = gen.generate(reqs), gen.generate(reqs)
    assert all(r.ok and r.completion_tokens > 0 and r.prompt_tokens > 0 for r in first)
    assert [r.text for r in first] == [r.text for r in again]
    assert first[0].text != first[1].text  # same prompt, other seed


def test_a_stop_sequence_ends_the_text_where_it_first_appears(gen: LlamaCppGenerator) -> None:
    """The stop is taken from the model's own unstopped text (so it is really met): with it, the
    same seeded request ends right before its first occurrence, with finish reason `stop`."""
    base = GenerationRequest(prompt="1. apple\n2. pear\n3.", mode="continue", max_tokens=60, seed=2)
    [free] = gen.generate([base])
    assert free.ok and free.finish_reason == "length" and len(free.text) > 20
    for stop in ("\n", free.text[len(free.text) // 2 :][:3]):
        if stop not in free.text[1:]:
            continue
        [cut] = gen.generate([replace(base, stop=(stop,))])
        assert cut.ok and cut.finish_reason == "stop", (stop, cut)
        assert cut.text == free.text[: free.text.index(stop)], (stop, cut.text, free.text)
        assert cut.completion_tokens < free.completion_tokens  # decoding ended there, not trimmed after
        break
    else:
        pytest.fail(f"no stop sequence to test in {free.text!r}")


def test_continue_mode_extends_raw_text(gen: LlamaCppGenerator) -> None:
    prompt = "Come up with a series of tasks:\n\n1. Write a poem.\n2."
    [out] = gen.generate([GenerationRequest(prompt=prompt, mode="continue", max_tokens=40, seed=1)])
    assert out.ok and out.text and not out.text.startswith(prompt)  # the continuation only


def test_context_overflow_becomes_a_failed_result_not_an_exception() -> None:
    small = LlamaCppGenerator("SmolLM2-135M-Instruct.Q4_1", n_ctx=128)
    fits = GenerationRequest(prompt="Say hi.", max_tokens=8)
    long, ok = small.generate([GenerationRequest(prompt="word " * 400, max_tokens=8), fits])
    small.close()
    assert not long.ok and long.finish_reason == "error" and "exceed context window" in (long.error or "")
    assert ok.ok  # one bad request does not cost the others


def test_unknown_model_is_a_clear_error() -> None:
    with pytest.raises(FileNotFoundError, match="not found"):
        LlamaCppGenerator("no-such-model.gguf")


def _generate_in_a_child() -> None:
    two = LlamaCppGenerator("SmolLM2-135M-Instruct.Q4_1", n_threads=2, workers=2)
    assert all(
        r.ok for r in two.generate([GenerationRequest(prompt=f"hi {i}", max_tokens=8, seed=i) for i in range(4)])
    )


def test_worker_processes_are_reproducible_and_let_a_child_process_exit() -> None:
    """A Dagster step is a multiprocessing child: it used to hang on exit joining our workers."""
    import multiprocessing

    requests = [GenerationRequest(prompt=f"Name a colour {i}.", max_tokens=12, seed=i) for i in range(4)]
    two = LlamaCppGenerator("SmolLM2-135M-Instruct.Q4_1", n_threads=2, workers=2)
    first, again = two.generate(requests), two.generate(requests)
    two.close()
    assert all(r.ok for r in first) and [r.text for r in first] == [r.text for r in again]
    child = multiprocessing.get_context("spawn").Process(target=_generate_in_a_child)
    child.start()
    child.join(90)
    alive = child.is_alive()
    if alive:
        child.kill()
    assert not alive and child.exitcode == 0


def _pool_then_wait(pids: Any) -> None:
    import time as _time

    gen = LlamaCppGenerator("SmolLM2-135M-Instruct.Q4_1", n_threads=2, workers=2)
    gen.generate([GenerationRequest(prompt=f"hi {i}", max_tokens=8, seed=i) for i in range(4)])
    pids.put(gen.worker_pids())
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
