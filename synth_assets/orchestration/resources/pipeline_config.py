"""Where the experiments file and the human data live; shown in the UI's resource view."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import dagster as dg

from synth_assets.config.experiments import Experiment, ExperimentsFile, load_experiments
from synth_assets.orchestration.assets.partitions import resolve


@lru_cache(maxsize=8)
def _parsed(path: str, mtime_ns: int, size: int) -> ExperimentsFile:
    return load_experiments(Path(path))


def experiments_at(path: Path) -> ExperimentsFile:
    """Parsed once per process and file version: a round's steps run in one process, and each
    used to parse and validate the YAML again. An edited file (new mtime or size) is re-read."""
    try:
        stat = os.stat(path)
    except OSError:
        return load_experiments(path)  # the loader's own located error
    return _parsed(str(path), stat.st_mtime_ns, stat.st_size)


class PipelineConfig(dg.ConfigurableResource):
    experiments_file: str
    data_dir: str

    def experiments(self) -> ExperimentsFile:
        return experiments_at(Path(self.experiments_file))

    def partition(self, context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> tuple[Experiment, int]:
        """The experiment and round of the partition being made, checked against the file now."""
        return resolve(context, self.experiments())

    @property
    def seeds_dir(self) -> Path:
        return Path(self.data_dir) / "seeds"

    @property
    def heldout_dir(self) -> Path:
        return Path(self.data_dir) / "heldout"
