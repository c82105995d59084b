"""The interface every backend implements: a batch of requests in, one result per request out.

A request carries everything that changes the answer (so its key can address a response cache),
and a failed call comes back as a result with `error` set instead of an exception, so one bad
request never loses the rest of a batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Literal, Protocol

from synth_assets.rows import content_hash

Mode = Literal["chat", "continue"]
ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class GenerationRequest:
    """`continue` asks a backend that can to extend raw text (Self-Instruct's format); chat-only
    backends send the same text as the user message."""

    prompt: str
    system: str | None = None
    mode: Mode = "chat"
    max_tokens: int = 128
    temperature: float = 0.8
    top_p: float = 0.95
    seed: int = 0
    stop: tuple[str, ...] = ()

    def key(self, backend_label: str) -> str:
        return content_hash(backend_label, asdict(self), length=32)


@dataclass(frozen=True)
class Generation:
    text: str
    finish_reason: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class CallStats:
    """Calls, failures and tokens of one stage's generation: what the metadata reports."""

    calls: int = 0
    failed_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def record(self, result: Generation) -> None:
        self.calls += 1
        self.failed_calls += not result.ok
        self.prompt_tokens += result.prompt_tokens
        self.completion_tokens += result.completion_tokens


class TextGenerator(Protocol):
    label: str

    def generate(
        self, requests: Sequence[GenerationRequest], on_progress: ProgressFn | None = None
    ) -> list[Generation]: ...
