"""Model artifacts (the students) as versioned JSON files, written and read by an IO manager so
that stages hand models to each other through the IO layer, never through ad-hoc paths.

A neural student's parameters go beside the JSON in a file named by their content hash, written
before the JSON that names it: a run killed between the two leaves the old JSON pointing at the
old, still present, parameters; older parameter files are removed once the new JSON is in place.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg

from synth_assets.core.files import write_bytes, write_text
from synth_assets.core.neural_lm import NeuralLM
from synth_assets.core.ngram_lm import KneserNeyLM
from synth_assets.core.rows import content_hash


class StudentArtifact:
    """A trained student plus the lineage of the data it was trained on."""

    def __init__(self, model: KneserNeyLM, lineage: dict, neural: NeuralLM | None = None) -> None:
        self.model = model
        self.lineage = lineage
        self.neural = neural


def artifact_path(base_dir: str | Path, asset: str, partition: str | None) -> Path:
    return Path(base_dir, asset, *(partition.split("|") if partition else []), "model.json")


def _read(path: Path) -> StudentArtifact:
    data = json.loads(path.read_text())
    neural = data.get("neural")
    return StudentArtifact(
        KneserNeyLM.from_json(json.dumps(data["model"])),
        {**data["lineage"], "version": data["version"]},
        NeuralLM.from_bytes(path.with_name(neural["file"]).read_bytes()) if neural else None,
    )


def _write(path: Path, obj: StudentArtifact) -> str:
    """The artifact whole (parameters first, then the JSON naming them); returns its version."""
    payload = obj.model.to_json()
    neural = None
    if obj.neural is not None:
        data = obj.neural.to_bytes()
        neural = {"file": f"neural-{obj.neural.digest()}.npz", "parameters": obj.neural.parameters}
        write_bytes(path.with_name(neural["file"]), data)
    version = content_hash(payload + (neural["file"] if neural else ""), length=16)
    # whole or not at all: a killed run, or another host reading the shared directory, never
    # sees half an artifact
    record = {"version": version, "lineage": obj.lineage, "model": json.loads(payload)}
    write_text(path, json.dumps({**record, "neural": neural} if neural else record))
    for stale in path.parent.glob("neural-*.npz"):
        if not neural or stale.name != neural["file"]:
            stale.unlink(missing_ok=True)
    return version


class MissingStudent(dg.Failure):
    pass


def load_student(base_dir: str | Path, partition: str) -> StudentArtifact:
    """A student by partition, for readers that cannot declare the edge (the next round's generator)."""
    path = artifact_path(base_dir, "student_model", partition)
    if not path.exists():
        raise MissingStudent(
            description=f"no student for partition '{partition}' ({path}); materialize student_model there first",
            metadata={"missing_partition": partition},
        )
    return _read(path)


class ArtifactIOManager(dg.ConfigurableIOManager):
    base_dir: str

    def _path(self, context: dg.OutputContext | dg.InputContext) -> Path:
        partition = context.asset_partition_key if context.has_asset_partitions else None
        return artifact_path(self.base_dir, context.asset_key.to_user_string(), partition)

    def handle_output(self, context: dg.OutputContext, obj: StudentArtifact) -> None:
        path = self._path(context)
        version = _write(path, obj)
        context.add_output_metadata({"artifact": dg.MetadataValue.path(str(path)), "artifact_version": version})

    def load_input(self, context: dg.InputContext) -> StudentArtifact:
        path = self._path(context)
        if not path.exists():
            raise FileNotFoundError(
                f"{path}: student artifact missing; materialize {context.asset_key.to_user_string()} first"
            )
        return _read(path)
