"""The students of a round: trained on its mix, scored on held-out human text, and (for the
experiments that write with them) the next round's generator. Plain functions, so the asset and
the generator resource train them the same way and tests run them without Dagster."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from synth_assets.core.callbacks import LogFn
from synth_assets.core.files import write_bytes
from synth_assets.core.neural_lm import NeuralConfig, NeuralLM
from synth_assets.core.ngram_lm import KneserNeyLM, build_vocab
from synth_assets.core.rows import content_hash


def train_neural(
    vocab: list[str],
    texts: Sequence[str],
    weights: Sequence[float] | None,
    config: NeuralConfig,
    seed: int,
    log: LogFn | None = None,
) -> NeuralLM:
    """A neural student trained from scratch; each evaluation is a log line (a minute of work
    otherwise shows nothing in the run's log)."""

    def progress(step: int, steps: int, loss: float) -> None:
        if log:
            log(f"neural student: step {step} of at most {steps}, validation loss {loss:.3f}")

    model = NeuralLM(vocab, config).fit(texts, weights, seed=seed, progress=progress)
    if log:
        h = model.history
        log(
            f"neural student: {model.parameters:,} parameters, {h['steps']} steps in {h['seconds']} s "
            f"({h['tokens_per_s']:,} tokens/s), best validation loss {h['best_validation_loss']}"
        )
    return model


def train_students(
    vocab: list[str],
    texts: Sequence[str],
    weights: Sequence[float] | None,
    neural: NeuralConfig | None,
    seed: int,
    log: LogFn | None = None,
) -> tuple[KneserNeyLM, NeuralLM | None]:
    """The Kneser-Ney student, and the neural one where `neural` configures it."""
    ngram = KneserNeyLM(vocab).fit(texts, weights)
    return ngram, (train_neural(vocab, texts, weights, neural, seed, log) if neural else None)


def pool_student(
    texts: Sequence[str], config: NeuralConfig, seed: int, cache_dir: Path, log: LogFn | None = None
) -> NeuralLM:
    """The neural student of the human pool that writes round 0. It depends only on the pool,
    the configuration and the seed, so it is trained once and kept (round 0's stages, and every
    experiment that starts from the same pool and seed, share it)."""
    vocab = build_vocab(texts)
    key = content_hash(list(texts), asdict(config), seed, length=20)
    path = cache_dir / f"{key}.npz"
    if path.exists():
        if log:
            log(f"neural student of the human pool: trained before ({path.name})")
        return NeuralLM.from_bytes(path.read_bytes())
    model = train_neural(vocab, texts, None, config, seed, log)
    write_bytes(path, model.to_bytes())
    return model
