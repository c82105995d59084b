import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synth_assets.cli import app
from synth_assets.config.settings import Settings
from synth_assets.llm.cache import ResponseCache
from synth_assets_tests.conftest import STOP_BOUND_S, use_slow_remote_generator
from synth_assets_tests.support.loopback_server import LoopbackLLMServer

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
    from synth_assets.verify.sandbox import isolation

    said = result.output.replace("\n", " ")
    assert ("code sandbox: bwrap" in said) == isolation().available  # what code checks can enforce here
    assert "per sandbox" in said or not isolation().host.memory


def test_summary_without_a_warehouse_says_what_to_do(tiny_settings: Settings) -> None:
    result = runner.invoke(app, ["summary"], env=_env(tiny_settings))
    assert result.exit_code == 2 and "run `synth run` first" in result.output


# `synth` itself, in a process of its own, counting how often the code location is built.
COUNTING_SYNTH = """
import atexit, sys
from synth_assets.orchestration import definitions
real, built = definitions.build_definitions, []
definitions.build_definitions = lambda settings: built.append(1) or real(settings)
atexit.register(lambda: print(f"location built {len(built)} time(s)", file=sys.stderr))
from synth_assets.cli import app
sys.argv[0] = "synth"
app()
"""


@pytest.mark.slow
def test_run_one_round_prints_the_table_and_warehouse(tiny_settings: Settings) -> None:
    """The CLI in its own process, as a user runs it; the code location is built once."""
    result = subprocess.run(
        [sys.executable, "-c", COUNTING_SYNTH, "run", "-e", "rep", "--rounds", "1", "--log-level", "WARNING"],
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
    assert "alembic" not in out + result.stderr  # Dagster's per-run schema stamps are not the user's news
    assert "location built 1 time(s)" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_run_interrupted_mid_stage_exits_promptly_with_one_line(tiny_settings: Settings, sig: int) -> None:
    """Ctrl-C during a generation stage of `synth run`: Dagster's interrupt handling and ours
    together still stop the process in time, say what was kept, and leave it in the cache."""
    with LoopbackLLMServer(latency_s=0.3) as server:
        use_slow_remote_generator(tiny_settings, server.url)
        synth = Path(sys.executable).with_name("synth")
        proc = subprocess.Popen(
            [str(synth), "run", "-e", "rep", "--rounds", "1", "--log-level", "WARNING"],
            env={**os.environ, **_env(tiny_settings)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 180
        while len(server.log.answered()) < 6:
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        start = time.monotonic()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
        elapsed = time.monotonic() - start
    assert elapsed < STOP_BOUND_S and proc.returncode == 128 + sig, out + err
    [line] = [ln for ln in out.splitlines() if ln.startswith("interrupted")]
    assert "generated_instructions" in line and "answers kept in the response cache" in line
    kept = int(re.search(r"([\d,]+) answers kept", line).group(1).replace(",", ""))
    assert kept >= 6 and ResponseCache(tiny_settings.llm_cache_dir).count() == kept
    assert "Traceback" not in out + err
