"""A stage declaration: what it reads from the config versions it; what it reports is plain data."""

import pandas as pd
import pytest
import yaml

from synth_assets.assets.stage_assets import as_metadata
from synth_assets.experiments import load_experiments
from synth_assets.stages import registry
from synth_assets.stages.spec import Markdown, Preview
from synth_assets_tests.conftest import TINY


def test_each_stage_declares_what_it_reads_from_the_config(tmp_path) -> None:
    """Editing one section of an experiment changes the versions of the stages that read it only."""
    path = tmp_path / "experiments.yaml"
    path.write_text(yaml.safe_dump(TINY))
    exp = load_experiments(path).experiments[0]
    changed = exp.model_copy(update={"filters": exp.filters.model_copy(update={"min_words": 9})})
    moved = {s.name for s in registry.PIPELINE if s.code_version([exp]) != s.code_version([changed])}
    assert moved == {"filtered_set"}
    assert registry.stage("filtered_set").config_hash(exp) != registry.stage("filtered_set").config_hash(changed)


def test_the_metadata_a_stage_reports_is_plain_data() -> None:
    assert as_metadata(3).value == 3 and as_metadata(0.5).value == 0.5 and as_metadata(True).value is True
    assert "| a | 1 |" in as_metadata({"a": 1}).value
    assert as_metadata(Markdown("**x**")).value == "**x**"
    assert "| x |" in as_metadata(Preview(pd.DataFrame({"x": [1]}))).value
    with pytest.raises(TypeError, match="stage reported metadata of type object"):
        as_metadata(object())
