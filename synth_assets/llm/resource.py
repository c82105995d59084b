"""Dagster resource that hands each asset the model its experiment asks for, per role.

API keys arrive as Dagster `EnvVar`s (see `definitions.build_resources`), so the UI shows the
variable's name, never its value; the backends keep them out of errors and the cache.
"""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg
import pandas as pd

from synth_assets.collapse.ngram_lm import KneserNeyLM, build_vocab
from synth_assets.collapse.texts import training_texts
from synth_assets.experiments import BackendConfig, ConfigError, Experiment
from synth_assets.llm.base import Backend
from synth_assets.llm.batch import PollPolicy
from synth_assets.llm.cache import ResponseCache
from synth_assets.llm.dispatch import DispatchPolicy, worker_count
from synth_assets.llm.llamacpp_backend import LlamaCppGenerator
from synth_assets.llm.pricing import Price
from synth_assets.llm.remote_backend import RemoteBackend
from synth_assets.llm.session import GenerationSession
from synth_assets.llm.student_backend import StudentGenerator
from synth_assets.storage.artifacts import load_student
from synth_assets.storage.previous_round import partition_key

LogFn = Callable[[str], None]
KEY_ENV = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}
NO_KEY = "EMPTY"  # what vLLM and other self-hosted OpenAI-compatible servers accept


class GeneratorResource(dg.ConfigurableResource):
    """Machine-level knobs and credentials; model and sampling choices live in the experiment config."""

    n_threads: int = 2
    llamacpp_workers: int = 1  # one process decoding batches on n_threads beats processes of one thread
    llamacpp_parallel: int = 16  # sequences per batch
    n_ctx: int = 2048
    artifacts_dir: str = "data/artifacts"
    cache_dir: str | None = "data/cache/llm"
    anthropic_api_key: str | None = None
    openai_api_key: str | None = None

    def for_round(
        self, exp: Experiment, round_: int, pool: pd.DataFrame, log: LogFn | None = None
    ) -> GenerationSession:
        """The generator that writes round `round_` of `exp`. With `backend: student` that is the
        previous round's student (round 0: a student of the human pool it starts from)."""
        if exp.generator.backend == "student":
            return GenerationSession(self._student(exp, round_, pool), cache=None, log=log)
        return self.for_role(exp, "generator", log)

    def for_role(self, exp: Experiment, role: str, log: LogFn | None = None) -> GenerationSession:
        cfg = exp.roles().get(role)
        if cfg is None:
            raise ConfigError(f"experiment {exp.name!r} has no `{role}:` block")
        price = exp.price_of(cfg)
        discounted = price and Price(
            price.input_per_mtok, price.output_per_mtok, exp.batch_discount if cfg.batch else 1.0
        )
        cache = ResponseCache(self.cache_dir) if self.cache_dir else None
        if cfg.remote and price is None and log:
            log(f"no price for {cfg.model!r} under `prices:`: its cost is reported as 0")
        backend = self._backend(exp, role, cfg, discounted, cache, log)
        return GenerationSession(backend, cache, discounted, log)

    def _backend(
        self,
        exp: Experiment,
        role: str,
        cfg: BackendConfig,
        price: Price | None,
        ledger: ResponseCache | None,
        log: LogFn | None,
    ) -> Backend:
        if cfg.backend == "llamacpp":
            return LlamaCppGenerator(
                cfg.model,
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                workers=self.llamacpp_workers,
                parallel=self.llamacpp_parallel,
            )
        if cfg.backend not in KEY_ENV:
            raise ConfigError(f"experiment {exp.name!r}: {role}.backend {cfg.backend!r} cannot serve this role")
        key = self.anthropic_api_key if cfg.backend == "anthropic" else self.openai_api_key
        if not key and cfg.backend == "openai" and cfg.base_url:
            key = NO_KEY
        if not key:
            raise ConfigError(
                f"experiment {exp.name!r}: {role}.backend is {cfg.backend!r} but {KEY_ENV[cfg.backend]} is not set "
                "in the environment of the Dagster code location"
            )
        api_cls = _provider_api(cfg.backend)
        policy = DispatchPolicy(
            concurrency=cfg.concurrency,
            max_concurrency=cfg.max_concurrency,
            adaptive=cfg.adaptive,
            requests_per_minute=cfg.requests_per_minute,
            tokens_per_minute=cfg.tokens_per_minute,
            max_retries=cfg.max_retries,
            budget_usd=cfg.budget_usd,
        )
        return RemoteBackend(
            api_cls(cfg.model, key, cfg.base_url, cfg.timeout_s, connections=worker_count(policy)),
            policy,
            price,
            batch=cfg.batch,
            ledger=ledger,
            poll=PollPolicy(initial_s=cfg.poll_interval_s),
            log=log,
        )

    def _student(self, exp: Experiment, round_: int, pool: pd.DataFrame) -> StudentGenerator:
        if round_ == 0:
            texts = training_texts(pool)
            return StudentGenerator(KneserNeyLM(build_vocab(texts)).fit(texts), "student:human-pool")
        previous = partition_key(exp.name, round_ - 1)
        artifact = load_student(self.artifacts_dir, previous)
        return StudentGenerator(artifact.model, f"student:{previous}@{artifact.lineage.get('version', '?')}")


def _provider_api(backend: str) -> type:
    """Imported when a remote backend is used: the SDKs cost ~1 s of every process's start-up."""
    if backend == "anthropic":
        from synth_assets.llm.anthropic_backend import AnthropicAPI

        return AnthropicAPI
    from synth_assets.llm.openai_backend import OpenAIAPI

    return OpenAIAPI
