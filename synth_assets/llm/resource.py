"""Dagster resource that hands each asset the generator its experiment asks for."""

from __future__ import annotations

import dagster as dg

from synth_assets.experiments import GeneratorConfig
from synth_assets.llm.base import TextGenerator
from synth_assets.llm.llamacpp_backend import LlamaCppGenerator


class GeneratorResource(dg.ConfigurableResource):
    """Machine-level knobs live here; model and sampling choices live in the experiment config."""

    n_threads: int = 2
    n_ctx: int = 2048

    def for_config(self, config: GeneratorConfig) -> TextGenerator:
        if config.backend == "llamacpp":
            return LlamaCppGenerator(config.model, n_ctx=self.n_ctx, n_threads=self.n_threads)
        raise ValueError(f"unknown generator backend {config.backend!r}")
