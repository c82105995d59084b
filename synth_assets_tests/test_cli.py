import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synth_assets.cli import app
from synth_assets.settings import Settings

runner = CliRunner()


def _env(settings: Settings) -> dict[str, str]:
    return {"SYNTH_DATA_DIR": str(settings.data_dir), "DAGSTER_HOME": str(settings.dagster_home)}


def test_check_reports_bad_rows_by_file_and_line(tiny_settings: Settings) -> None:
    path = tiny_settings.seeds_dir / "math_problems.jsonl"
    lines = path.read_text().splitlines()
    bad = json.loads(lines[4])
    del bad["solution"]
    lines[4] = json.dumps(bad)
    path.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["check"], env=_env(tiny_settings))
    assert result.exit_code == 2
    assert "math_problems.jsonl:5: field 'solution'" in result.output.replace("\n", "")


def test_check_passes_on_project_data(tiny_settings: Settings) -> None:
    result = runner.invoke(app, ["check"], env=_env(tiny_settings))
    assert result.exit_code == 0, result.output
    assert "2 experiment(s): acc, rep" in result.output


def test_summary_without_a_warehouse_says_what_to_do(tiny_settings: Settings) -> None:
    result = runner.invoke(app, ["summary"], env=_env(tiny_settings))
    assert result.exit_code == 2 and "run `synth run` first" in result.output


@pytest.mark.slow
def test_run_one_round_prints_the_table_and_warehouse(tiny_settings: Settings) -> None:
    """The real console script in its own process, as a user runs it."""
    synth = Path(sys.executable).with_name("synth")
    result = subprocess.run(
        [str(synth), "run", "-e", "rep", "--rounds", "1", "--log-level", "WARNING"],
        env={**os.environ, **_env(tiny_settings)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "succeeded rep round 0" in out and "per-round summary" in out
    assert str(tiny_settings.warehouse) in out.replace("\n", "")
    assert Path(tiny_settings.dagster_home, "dagster.yaml").exists()
