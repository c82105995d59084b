"""Model artifacts (the students) as versioned JSON files, written and read by an IO manager so
that stages hand models to each other through the IO layer, never through ad-hoc paths."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg

from synth_assets.collapse.ngram_lm import KneserNeyLM
from synth_assets.rows import content_hash


class StudentArtifact:
    """A trained student plus the lineage of the data it was trained on."""

    def __init__(self, model: KneserNeyLM, lineage: dict) -> None:
        self.model = model
        self.lineage = lineage


class ArtifactIOManager(dg.ConfigurableIOManager):
    base_dir: str

    def _path(self, context: dg.OutputContext | dg.InputContext) -> Path:
        parts = [*context.asset_key.path]
        if context.has_asset_partitions:
            parts += context.asset_partition_key.split("|")
        return Path(self.base_dir, *parts, "model.json")

    def handle_output(self, context: dg.OutputContext, obj: StudentArtifact) -> None:
        path = self._path(context)
        payload = obj.model.to_json()
        version = content_hash(payload, length=16)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"version": version, "lineage": obj.lineage, "model": json.loads(payload)}))
        tmp.replace(path)  # atomic: a killed run never leaves half an artifact behind
        context.add_output_metadata({"artifact": dg.MetadataValue.path(str(path)), "artifact_version": version})

    def load_input(self, context: dg.InputContext) -> StudentArtifact:
        path = self._path(context)
        if not path.exists():
            raise FileNotFoundError(
                f"{path}: student artifact missing; materialize {context.asset_key.to_user_string()} first"
            )
        data = json.loads(path.read_text())
        return StudentArtifact(KneserNeyLM.from_json(json.dumps(data["model"])), data["lineage"])
