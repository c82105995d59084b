"""The interface every backend implements: a batch of requests in, one result per request out.

A request carries everything that changes the answer (so its key can address a response cache),
and a failed call comes back as a result with `error` set instead of an exception, so one bad
request never loses the rest of a batch. Backends report each result through `on_result` as soon
as it exists, which is what lets the cache keep every finished response of a run that dies.
"""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, Protocol

from synth_assets.core.callbacks import ProgressFn
from synth_assets.core.rows import content_hash
from synth_assets.llm.pricing import input_tokens_at_most
from synth_assets.llm.structured import OutputSchema
from synth_assets.llm.tools import ToolCall, ToolSpec, Turn

Mode = Literal["chat", "continue"]
ResultFn = Callable[[int, "Generation"], None]


@dataclass(frozen=True)
class GenerationRequest:
    """`continue` asks a backend that can to extend raw text (Self-Instruct's format); chat-only
    backends send the same text as the user message. `sample_index` tells apart the k samples of
    one prompt even on APIs that ignore `seed`."""

    prompt: str
    system: str | None = None
    mode: Mode = "chat"
    max_tokens: int = 128
    temperature: float = 0.8
    top_p: float = 0.95
    seed: int = 0
    stop: tuple[str, ...] = ()
    sample_index: int = 0
    # What a chat API stops at when it is not `stop`: HumanEval's continuation stops (`\ndef `)
    # would cut a chat model's answer, which restates the whole function in a fence.
    chat_stop: tuple[str, ...] | None = None
    output: OutputSchema | None = None  # structured output: the JSON the answer must be
    turns: tuple[Turn, ...] = ()  # the conversation after `prompt` (an agent's calls and their results)
    tools: tuple[ToolSpec, ...] = ()  # tools the model may call

    def __post_init__(self) -> None:
        if self.tools and self.output is not None:
            raise ValueError("a request either offers tools or asks for structured output, not both")

    def key(self, backend_label: str) -> str:
        """A request without the later fields (structured output, turns, tools) keeps the key it
        had before they existed, so no cache is invalidated by them."""
        if self.output is None and not self.turns and not self.tools:  # plain values: asdict's deep copy buys nothing
            plain = {name: getattr(self, name) for name in _PLAIN_KEY_FIELDS}
            return content_hash(backend_label, plain, length=32)
        values = asdict(self)
        for name in ("output", "turns", "tools"):
            if not values[name]:
                del values[name]
        return content_hash(backend_label, values, length=32)

    @property
    def stop_for_chat(self) -> tuple[str, ...]:
        return self.stop if self.chat_stop is None else self.chat_stop

    def estimated_tokens(self) -> tuple[int, int]:
        """At most this many input and output tokens (see `pricing`)."""
        return input_tokens_at_most(len(self.prompt) + len(self.system or "")), self.max_tokens


_PLAIN_KEY_FIELDS = tuple(f.name for f in fields(GenerationRequest) if f.name not in ("output", "turns", "tools"))


@dataclass(frozen=True)
class Generation:
    """`attempts` and `rate_limited` describe how the answer was obtained, not the answer; the
    cache does not keep them."""

    text: str
    finish_reason: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None
    error_kind: str | None = None
    attempts: int = 1
    rate_limited: int = 0
    tool_calls: tuple[ToolCall, ...] = ()  # the tools the model called (finish_reason 'tool_calls')

    @property
    def ok(self) -> bool:
        return self.error is None


def failed(kind: str, message: str, attempts: int = 1, rate_limited: int = 0) -> Generation:
    """A request that did not produce text: the row keeps the error class, the stage goes on."""
    return Generation(
        text="",
        finish_reason="error",
        error=f"{kind}: {message}"[:300],
        error_kind=kind,
        attempts=attempts,
        rate_limited=rate_limited,
    )


async def parsed(raw_response: Any) -> Any:
    """The SDKs' raw responses parse synchronously in one and as a coroutine in the other."""
    value = raw_response.parse()
    return await value if inspect.isawaitable(value) else value


@dataclass
class CallStats:
    """What one stage's generation cost and how it went: the metadata a person reads in the UI."""

    requests: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    calls: int = 0
    retries: int = 0
    rate_limited: int = 0
    failed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    estimated_cost_usd: float = 0.0
    format_retries: int = 0  # answers that did not match the requested JSON schema, asked again
    failures_by_kind: Counter[str] = field(default_factory=Counter)

    def record(self, result: Generation, cost_usd: float = 0.0, final: bool = True) -> None:
        """One answered request (cache hits are counted apart and cost nothing). Not `final`:
        an answer thrown away and asked again (it missed its schema); it cost, it is no failure."""
        self.calls += result.attempts
        self.retries += result.attempts - (1 if final else 0)
        self.rate_limited += result.rate_limited
        self.prompt_tokens += result.prompt_tokens
        self.completion_tokens += result.completion_tokens
        self.cost_usd += cost_usd
        if not final:
            self.format_retries += 1
        elif not result.ok:
            self.failed += 1
            self.failures_by_kind[result.error_kind or "error"] += 1

    def summary(self) -> dict[str, int | float | str]:
        out: dict[str, int | float | str] = {k: v for k, v in asdict(self).items() if k != "failures_by_kind"}
        out["cost_usd"] = round(self.cost_usd, 6)
        out["estimated_cost_usd"] = round(self.estimated_cost_usd, 6)
        for kind, n in sorted(self.failures_by_kind.items()):
            out[f"failed:{kind}"] = n
        return out


class Backend(Protocol):
    """A model: answers requests, reporting each result through `on_result(index, result)`.
    `raw_continuation` says whether `continue` requests extend the text itself (local models)
    or are answered as a chat message (APIs); `structured_output` whether it can be held to a
    request's JSON schema (a grammar, a provider's schema or tool), else stages ask in free text."""

    label: str
    raw_continuation: bool
    structured_output: bool

    def generate(
        self, requests: Sequence[GenerationRequest], on_result: ResultFn | None = None
    ) -> list[Generation]: ...


class TextGenerator(Protocol):
    """What a stage talks to: a backend behind the response cache, with the stage's call stats."""

    label: str
    stats: CallStats
    raw_continuation: bool
    structured_output: bool

    def generate(
        self, requests: Sequence[GenerationRequest], on_progress: ProgressFn | None = None
    ) -> list[Generation]: ...
