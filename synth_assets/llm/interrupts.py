"""Ctrl-C, `kill` and "Terminate" in the Dagster UI during a generation stage.

All three reach the step as a signal (the UI's termination is a SIGINT that Dagster sends to the
run's process; Dagster maps SIGTERM onto the SIGINT handler). Dagster's own handler raises at
whatever line is running, which inside an event loop with thousands of calls in flight means a
long, lossy unwind. While a stage generates, our handler takes over instead: it stops sending,
lets the calls in flight finish for a short grace period (their answers are paid for), cancels
the rest, and then raises `GenerationInterrupted`, a KeyboardInterrupt, so Dagster reports the
step as interrupted. Every answer received is already in the response cache; a re-run asks only
for the rest. A second signal skips the grace period.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM)
GRACE_S = 2.0  # in-flight calls may finish this long after the signal; well inside 5 s


class StopRequest:
    """Set by a signal handler, read by whatever is generating between requests."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.count = 0
        self._listeners: list[Callable[[int], None]] = []

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def request(self, signum: int) -> None:
        self.signum = self.signum or signum
        self.count += 1
        for listener in self._listeners:
            listener(self.count)

    def listen(self, listener: Callable[[int], None]) -> None:
        """`listener(n)` runs on the n-th signal (2 and more: stop waiting for calls in flight)."""
        self._listeners.append(listener)


class GenerationInterrupted(KeyboardInterrupt):
    """A stage stopped by a signal after keeping every answer it had received."""

    def __init__(self, signum: int, kept: int, left: int, label: str = "") -> None:
        self.signum, self.kept, self.left = signum, kept, left
        name = signal.Signals(signum).name
        who = f"{label}: " if label else ""
        super().__init__(
            f"{who}interrupted by {name}: {kept:,} answers kept in the response cache, {left:,} requests left; "
            "materialize again to continue (kept answers are not requested again)"
        )

    def __str__(self) -> str:
        return str(self.args[0])


@contextmanager
def stop_on_signals(stop: StopRequest, loop: asyncio.AbstractEventLoop | None = None) -> Iterator[StopRequest]:
    """SIGINT and SIGTERM set `stop` for the duration, then the previous handlers (Dagster's, or
    Python's default) come back. With `loop`, the signal is delivered through the loop's
    wake-up fd, so a loop blocked in select() sees it at once. Off the main thread signals cannot
    be caught; the caller's own handling applies."""
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {sig: signal.getsignal(sig) for sig in SIGNALS}
    try:
        for sig in SIGNALS:
            if loop is not None:
                loop.add_signal_handler(sig, stop.request, sig)
            else:
                signal.signal(sig, lambda signum, _frame: stop.request(signum))
        yield stop
    finally:
        for sig, handler in previous.items():
            if loop is not None:
                loop.remove_signal_handler(sig)
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
