"""Dagster resource that hands each asset the generator its experiment asks for."""

from __future__ import annotations

import dagster as dg
import pandas as pd

from synth_assets.collapse.ngram_lm import KneserNeyLM, build_vocab
from synth_assets.collapse.texts import training_texts
from synth_assets.experiments import Experiment
from synth_assets.llm.base import TextGenerator
from synth_assets.llm.llamacpp_backend import LlamaCppGenerator
from synth_assets.llm.student_backend import StudentGenerator
from synth_assets.storage.artifacts import load_student
from synth_assets.storage.previous_round import partition_key


class GeneratorResource(dg.ConfigurableResource):
    """Machine-level knobs live here; model and sampling choices live in the experiment config."""

    n_threads: int = 2
    n_ctx: int = 2048
    artifacts_dir: str = "data/artifacts"

    def for_round(self, exp: Experiment, round_: int, pool: pd.DataFrame) -> TextGenerator:
        """The generator that writes round `round_` of `exp`. With `backend: student` that is the
        previous round's student (round 0: a student of the human pool it starts from)."""
        config = exp.generator
        if config.backend == "llamacpp":
            return LlamaCppGenerator(config.model, n_ctx=self.n_ctx, n_threads=self.n_threads)
        if config.backend == "student":
            if round_ == 0:
                texts = training_texts(pool)
                return StudentGenerator(KneserNeyLM(build_vocab(texts)).fit(texts), "student:human-pool")
            previous = partition_key(exp.name, round_ - 1)
            artifact = load_student(self.artifacts_dir, previous)
            return StudentGenerator(artifact.model, f"student:{previous}@{artifact.lineage.get('version', '?')}")
        raise ValueError(f"unknown generator backend {config.backend!r}")
