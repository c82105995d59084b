"""Student artifacts on disk: the neural student's parameters beside the JSON, named by content,
written before the JSON that names them, and the older ones gone once it is in place."""

import json

import numpy as np
import pytest

from synth_assets.core.neural_lm import NeuralConfig, NeuralLM
from synth_assets.core.ngram_lm import KneserNeyLM, build_vocab
from synth_assets.storage.artifacts import StudentArtifact, _read, _write

TEXTS = [f"name {n} colours of the {w} sky" for n in range(3, 9) for w in ("evening", "morning", "winter")]
CONFIG = NeuralConfig(width=16, layers=1, heads=1, context=16, batch=4, max_steps=10, eval_every=5, patience=1)


def _artifact(seed: int) -> StudentArtifact:
    vocab = build_vocab(TEXTS)
    return StudentArtifact(
        KneserNeyLM(vocab).fit(TEXTS), {"round": seed}, NeuralLM(vocab, CONFIG).fit(TEXTS, seed=seed)
    )


def test_neural_parameters_are_kept_beside_the_json_and_read_back(tmp_path) -> None:
    path = tmp_path / "student_model" / "e" / "0" / "model.json"
    first = _artifact(1)
    version = _write(path, first)
    record = json.loads(path.read_text())
    assert record["version"] == version and record["neural"]["parameters"] == first.neural.parameters
    assert (path.parent / record["neural"]["file"]).exists()
    back = _read(path)
    assert back.lineage == {"round": 1, "version": version}
    assert back.neural.log_probs(TEXTS[:3]) == first.neural.log_probs(TEXTS[:3])
    assert back.model.perplexity(TEXTS) == first.model.perplexity(TEXTS)


def test_a_new_version_replaces_the_old_parameters(tmp_path) -> None:
    path = tmp_path / "model.json"
    _write(path, _artifact(1))
    old = json.loads(path.read_text())["neural"]["file"]
    _write(path, _artifact(2))
    new = json.loads(path.read_text())["neural"]["file"]
    assert new != old and sorted(p.name for p in tmp_path.glob("neural-*.npz")) == [new]
    again = _artifact(2)  # the same network trained again: its timings differ, its file name does not
    _write(path, again)
    assert json.loads(path.read_text())["neural"]["file"] == new
    _write(path, StudentArtifact(_artifact(3).model, {}))  # an n-gram student only: no parameters left
    assert "neural" not in json.loads(path.read_text()) and not list(tmp_path.glob("neural-*.npz"))
    assert _read(path).neural is None


def test_parameters_written_before_a_crash_leave_the_old_artifact_whole(tmp_path, monkeypatch) -> None:
    path = tmp_path / "model.json"
    first = _artifact(1)
    _write(path, first)

    def crash(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("synth_assets.storage.artifacts.write_text", crash)
    with pytest.raises(OSError, match="disk full"):
        _write(path, _artifact(2))
    back = _read(path)  # the old JSON still names the old parameters, which are still there
    assert back.neural.log_probs(TEXTS[:2]) == first.neural.log_probs(TEXTS[:2])
    assert np.isfinite(back.neural.perplexity(TEXTS))
