"""The loopback wire-protocol server in a process of its own, for benchmarks.

In the benchmark's own process the server's handler threads would share one GIL with the client
being measured, so the figures would mostly measure the server. A separate process gives each
side a core, as a real endpoint would.
"""

from __future__ import annotations

import importlib
import multiprocessing
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test support package beside the code


def _resolve(responder: str | None) -> Any:
    if not responder:
        return None
    module, _, name = responder.partition(":")
    return getattr(importlib.import_module(module), name)


def _serve(conn: Any, latency_s: float, responder: str | None) -> None:
    from synth_assets_tests.support.loopback_server import LoopbackLLMServer, default_responder

    server = LoopbackLLMServer(latency_s=latency_s, responder=_resolve(responder) or default_responder)
    server.start()
    conn.send(server.url)
    conn.recv()  # any message, or the parent's end closing, stops the server
    server.stop()


@contextmanager
def loopback_server(latency_s: float, responder: str | None = None) -> Iterator[str]:
    """Yields the base URL. `responder` is "module:function", importable in a fresh process."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(child, latency_s, responder), daemon=True)
    proc.start()
    try:
        yield parent.recv()
    finally:
        parent.send("stop")
        proc.join(10)
        if proc.is_alive():
            proc.kill()
