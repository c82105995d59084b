"""Dagster resource that hands each asset the model its experiment asks for, per role.

API keys arrive as Dagster `EnvVar`s (see `resources.deployment.build_resources`), so the UI shows the
variable's name, never its value; the backends keep them out of errors and the cache.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import pandas as pd

from synth_assets.collapse.students import pool_student
from synth_assets.config.experiments import BackendConfig, ConfigError, EmbedderConfig, Experiment, ModelPrice
from synth_assets.core.callbacks import LogFn
from synth_assets.core.ngram_lm import KneserNeyLM, build_vocab
from synth_assets.core.texts import training_texts
from synth_assets.embed.models import embedder, local_spec
from synth_assets.llm.backends import BACKENDS, Build, Machine
from synth_assets.llm.base import Backend, ProgressFn
from synth_assets.llm.cache import ResponseCache
from synth_assets.llm.dispatch import worker_count
from synth_assets.llm.pricing import Price
from synth_assets.llm.session import GenerationSession
from synth_assets.llm.student_backend import StudentGenerator
from synth_assets.storage.artifacts import load_student
from synth_assets.storage.previous_round import partition_key

if TYPE_CHECKING:
    from synth_assets.embed.endpoint import EmbeddingsEndpoint
    from synth_assets.embed.session import EmbeddingSession

NO_KEY = "EMPTY"  # what vLLM and other self-hosted OpenAI-compatible servers accept


class GeneratorResource(dg.ConfigurableResource):
    """Machine-level knobs and credentials; model and sampling choices live in the experiment config."""

    n_threads: int = 2
    llamacpp_workers: int = 1  # one process decoding batches on n_threads beats processes of one thread
    llamacpp_parallel: int = 16  # sequences per batch
    n_ctx: int = 2048
    artifacts_dir: str = "data/artifacts"
    cache_dir: str | None = "data/cache/llm"
    cache_url: str | None = None  # the shared profile: a PostgreSQL URL (an EnvVar), used instead of cache_dir
    api_keys: dict[str, str] | None = None  # variable name -> Dagster EnvVar: the UI shows the name only

    def for_round(
        self, exp: Experiment, round_: int, pool: pd.DataFrame, log: LogFn | None = None
    ) -> GenerationSession:
        """The generator that writes round `round_` of `exp`. With `backend: student` that is the
        previous round's student (round 0: a student of the human pool it starts from); with
        `neural_student`, that round's neural student."""
        if exp.writes_with_student:
            return GenerationSession(self._student(exp, round_, pool, log), cache=None, log=log)
        return self.for_role(exp, "generator", log)

    def for_role(self, exp: Experiment, role: str, log: LogFn | None = None) -> GenerationSession:
        cfg = exp.roles().get(role)
        if cfg is None:
            raise ConfigError(f"experiment {exp.name!r} has no `{role}:` block")
        price = _listed_price(exp, cfg, log)
        discounted = price and Price(
            price.input_per_mtok, price.output_per_mtok, exp.batch_discount if cfg.batch else 1.0
        )
        cache = self._cache()
        try:
            backend = self._backend(exp, role, cfg, discounted, cache, log)
        except BaseException:
            if cache is not None:  # a refused role must not leave a connection to the shared cache open
                cache.close()
            raise
        return GenerationSession(backend, cache, discounted, log, owns_cache=True)

    def embedder_for(
        self, exp: Experiment, log: LogFn | None = None, progress: ProgressFn | None = None
    ) -> EmbeddingSession:
        """The experiment's embedding model (in this process or an endpoint) behind the cache."""
        from synth_assets.embed.session import EmbeddingSession, LocalEmbeddings

        cfg = exp.embedder
        backend = (
            self._endpoint(exp, cfg, log)
            if cfg.remote
            else LocalEmbeddings(embedder(local_spec(cfg.backend, cfg.model)))
        )
        return EmbeddingSession(backend, self._cache(), log, owns_cache=True, progress=progress)

    def _endpoint(self, exp: Experiment, cfg: EmbedderConfig, log: LogFn | None) -> EmbeddingsEndpoint:
        from synth_assets.embed.endpoint import EmbeddingsEndpoint
        from synth_assets.llm.openai_backend import OpenAIAPI

        price = _listed_price(exp, cfg, log)
        policy = cfg.dispatch_policy()
        api = OpenAIAPI(cfg.model, self._key(exp, "embedder", cfg), cfg.base_url, cfg.timeout_s, worker_count(policy))
        return EmbeddingsEndpoint(
            api, policy, price and Price(price.input_per_mtok, 0.0), cfg.batch_size, cfg.dimensions
        )

    def _cache(self) -> ResponseCache | None:
        if self.cache_url:
            return ResponseCache(url=self.cache_url)
        return ResponseCache(self.cache_dir) if self.cache_dir else None

    def _backend(
        self,
        exp: Experiment,
        role: str,
        cfg: BackendConfig,
        price: Price | None,
        ledger: ResponseCache | None,
        log: LogFn | None,
    ) -> Backend:
        kind = BACKENDS[cfg.backend]
        if kind.build is None:
            raise ConfigError(f"experiment {exp.name!r}: {role}.backend {cfg.backend!r} cannot serve this role")
        machine = Machine(self.n_threads, self.llamacpp_workers, self.llamacpp_parallel, self.n_ctx)
        return kind.build(Build(cfg, machine, self._key(exp, role, cfg), price, ledger, log))

    def _key(self, exp: Experiment, role: str, cfg: BackendConfig | EmbedderConfig) -> str | None:
        kind = BACKENDS[cfg.backend]
        keys = {name: value for name, value in (self.api_keys or {}).items() if value}
        if missing := kind.missing_key(cfg.base_url, keys):
            raise ConfigError(
                f"experiment {exp.name!r}: {role}.backend is {cfg.backend!r} but {missing} is not set "
                "in the environment of the Dagster code location"
            )
        if kind.key_env is None:
            return None
        return keys.get(kind.key_env, NO_KEY)

    def _student(self, exp: Experiment, round_: int, pool: pd.DataFrame, log: LogFn | None) -> StudentGenerator:
        neural = exp.generator.backend == "neural_student"
        if round_ == 0:
            texts = training_texts(pool)
            if neural:
                cache = Path(self.artifacts_dir) / "human_pool_students"
                model = pool_student(texts, exp.student.neural_config(), exp.seed, cache, log)
                return StudentGenerator(model, "neural_student:human-pool")
            return StudentGenerator(KneserNeyLM(build_vocab(texts)).fit(texts), "student:human-pool")
        previous = partition_key(exp.name, round_ - 1)
        artifact = load_student(self.artifacts_dir, previous)
        version = artifact.lineage.get("version", "?")
        if neural:
            if artifact.neural is None:
                raise ConfigError(f"{previous}: its student_model has no neural student; materialize it again")
            return StudentGenerator(artifact.neural, f"neural_student:{previous}@{version}")
        return StudentGenerator(artifact.model, f"student:{previous}@{version}")


def _listed_price(exp: Experiment, cfg: BackendConfig | EmbedderConfig, log: LogFn | None) -> ModelPrice | None:
    """The model's price from `prices:`; a remote model without one is logged (its cost shows as 0)."""
    price = exp.price_of(cfg)
    if cfg.remote and price is None and log:
        log(f"no price for {cfg.model!r} under `prices:`: its cost is reported as 0")
    return price
