"""Resources the pipeline assets share (experiment config, warehouse access, generator)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from synth_assets.experiments import ExperimentsFile, load_experiments


class PipelineConfig(dg.ConfigurableResource):
    """Where the experiments file and human data live; shown in the UI's resource view."""

    experiments_file: str
    data_dir: str

    def experiments(self) -> ExperimentsFile:
        return load_experiments(Path(self.experiments_file))

    @property
    def seeds_dir(self) -> Path:
        return Path(self.data_dir) / "seeds"

    @property
    def heldout_dir(self) -> Path:
        return Path(self.data_dir) / "heldout"
