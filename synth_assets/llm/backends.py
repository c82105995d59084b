"""The registry of model backends: the one place a backend is named.

An entry says what the experiments file calls it, the Dagster kind its assets show, which
environment variable holds its API key, and how to build it. The experiment validation, the
secrets the settings look for, the asset kinds and the generator resource all read this table,
so adding a provider is its `ProviderAPI` module and one entry here.

Kept light: the backends' modules (llama.cpp, the SDKs) are imported by the builders, when a
backend is used, not when the code location loads.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from synth_assets.core.callbacks import LogFn
from synth_assets.llm.base import Backend
from synth_assets.llm.batch import PollPolicy
from synth_assets.llm.cache import ResponseCache
from synth_assets.llm.dispatch import worker_count
from synth_assets.llm.pricing import Price


@dataclass(frozen=True)
class Machine:
    """This host's knobs for local decoding (from the generator resource)."""

    n_threads: int = 2
    llamacpp_workers: int = 1
    llamacpp_parallel: int = 16
    n_ctx: int = 2048


@dataclass(frozen=True)
class Build:
    """What a builder gets: the role's config (an `experiments.BackendConfig`), the machine, the
    API key if any, the discounted price, the batch ledger and a log."""

    cfg: Any
    machine: Machine
    key: str | None = None
    price: Price | None = None
    ledger: ResponseCache | None = None
    log: LogFn | None = None


@dataclass(frozen=True)
class BackendKind:
    name: str
    kind_tag: str  # the Dagster kind on the assets that call it
    build: Callable[[Build], Backend] | None  # None: built per round elsewhere (the student)
    key_env: str | None = None  # the API key's environment variable (remote providers)
    key_optional_with_base_url: bool = False  # self-hosted compatible servers take any key

    @property
    def remote(self) -> bool:
        return self.key_env is not None

    def missing_key(self, base_url: str | None, present: Collection[str]) -> str | None:
        """The API key variable this backend needs and the environment lacks, if any."""
        if self.key_env is None or self.key_env in present or (self.key_optional_with_base_url and base_url):
            return None
        return self.key_env


def _llamacpp(b: Build) -> Backend:
    from synth_assets.llm.llamacpp_backend import LlamaCppGenerator

    m = b.machine
    return LlamaCppGenerator(
        b.cfg.model, n_ctx=m.n_ctx, n_threads=m.n_threads, workers=m.llamacpp_workers, parallel=m.llamacpp_parallel
    )


def _remote(api_factory: Callable[[], type]) -> Callable[[Build], Backend]:
    def build(b: Build) -> Backend:
        from synth_assets.llm.remote_backend import RemoteBackend

        cfg = b.cfg
        policy = cfg.dispatch_policy()
        connections = worker_count(policy)
        api = api_factory()(cfg.model, b.key, cfg.base_url, cfg.timeout_s, connections, transport=cfg.transport)
        poll = PollPolicy(initial_s=cfg.poll_interval_s)
        return RemoteBackend(api, policy, b.price, batch=cfg.batch, ledger=b.ledger, poll=poll, log=b.log)

    return build


def _anthropic_api() -> type:
    from synth_assets.llm.anthropic_backend import AnthropicAPI

    return AnthropicAPI


def _openai_api() -> type:
    from synth_assets.llm.openai_backend import OpenAIAPI

    return OpenAIAPI


BACKENDS: dict[str, BackendKind] = {
    k.name: k
    for k in (
        BackendKind("llamacpp", "llama_cpp", _llamacpp),
        BackendKind("student", "python", None),
        BackendKind("neural_student", "jax", None),
        BackendKind("anthropic", "anthropic", _remote(_anthropic_api), key_env="ANTHROPIC_API_KEY"),
        BackendKind(
            "openai", "openai", _remote(_openai_api), key_env="OPENAI_API_KEY", key_optional_with_base_url=True
        ),
    )
}
STUDENT_BACKENDS = frozenset({"student", "neural_student"})  # each round written by the last round's student
KEY_VARIABLES: tuple[str, ...] = tuple(k.key_env for k in BACKENDS.values() if k.key_env)
