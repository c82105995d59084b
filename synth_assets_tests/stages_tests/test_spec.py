"""A stage declaration: what it reads from the config versions it; what it reports is plain data."""

import pandas as pd
import pytest
import yaml

from synth_assets.config.experiments import load_experiments
from synth_assets.orchestration.assets.stage_assets import as_metadata
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


def test_an_edit_to_pipeline_logic_changes_the_stages_that_use_it(tmp_path, monkeypatch) -> None:
    """The funnel lives outside the stage module: editing it still marks filtered_set changed,
    and no stage that does not reach it. Plumbing (the LLM clients) changes no stage."""
    from pathlib import Path

    from synth_assets.stages import code_version

    path = tmp_path / "experiments.yaml"
    path.write_text(yaml.safe_dump(TINY))
    exps = load_experiments(path).experiments
    before = {s.name: s.code_version(exps) for s in registry.PIPELINE}
    funnel = code_version._path("synth_assets.filters.funnel")
    real_read = Path.read_text

    def edited(self: Path, *args, **kwargs) -> str:
        return real_read(self, *args, **kwargs) + ("\n# edited\n" if self == funnel else "")

    monkeypatch.setattr(Path, "read_text", edited)
    code_version.logic_modules.cache_clear()
    after = {s.name: s.code_version(exps) for s in registry.PIPELINE}
    assert {name for name in before if before[name] != after[name]} == {"filtered_set"}
    assert "synth_assets.filters.funnel" in code_version.logic_modules("synth_assets.stages.filtered_set")
    assert not any(
        m.startswith(("synth_assets.llm", "synth_assets.storage", "synth_assets.config.experiments"))
        for s in registry.PIPELINE
        for m in code_version.logic_modules(s.compute.__module__)
    )
