"""`synth run` and `synth audit` as a user runs them (the installed command, a real Dagster
instance and warehouse), generating through the official OpenAI SDK against the loopback server:
round-major order, a failed round stopping only its own experiment, `--resume` skipping what is
materialized without a single call, and the audit tree, its JSON and an unknown id."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from synth_assets.config.settings import Settings
from synth_assets_tests.conftest import PROJECT_DATA, TINY
from synth_assets_tests.orchestration_tests.assets_tests.test_remote_generator import KEY, responder
from synth_assets_tests.support.loopback_server import LoopbackLLMServer

pytestmark = pytest.mark.slow
LINE = re.compile(r"^(succeeded|failed|skipped|resumed)\s+(\S+) round (\d+)", re.M)


def _synth(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "SYNTH_DATA_DIR": str(settings.data_dir),
        "DAGSTER_HOME": str(settings.dagster_home),
        "OPENAI_API_KEY": KEY,
        "COLUMNS": "200",
    }
    synth = Path(sys.executable).with_name("synth")
    return subprocess.run([str(synth), *args], env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory):
    """Two experiments of two rounds: `good`, and `broke`, whose budget ($0.01 at $1,000 per
    million tokens) buys not one call, so its round 0 fails the same way every time."""
    root = tmp_path_factory.mktemp("cli_runs")
    data = root / "data"
    for part in ("seeds", "heldout"):
        (data / part).mkdir(parents=True)
        for f in (PROJECT_DATA / part).iterdir():
            (data / part / f.name).write_text(f.read_text())
    settings = Settings.from_env({"SYNTH_DATA_DIR": str(data), "DAGSTER_HOME": str(root / "home")})
    with LoopbackLLMServer(responder=responder) as server:
        generator = {"backend": "openai", "model": "gpt-test", "base_url": f"{server.url}/v1", "concurrency": 1}
        config = {
            **TINY,
            "defaults": {**TINY["defaults"], "rounds": 2},
            "prices": {"gpt-test": {"input_per_mtok": 1000.0, "output_per_mtok": 1000.0}},
            "experiments": [
                {"name": "good", "regime": "accumulate", "seed": 3, "generator": generator},
                {"name": "broke", "regime": "replace", "seed": 3, "generator": {**generator, "budget_usd": 0.01}},
            ],
        }
        settings.experiments_file.write_text(yaml.safe_dump(config))
        first = _synth(settings, "run")
        calls_after_first = len(server.log.entries)
        again = _synth(settings, "run", "--resume")
        resent = server.log.entries[calls_after_first:]
    yield settings, first, again, resent


def _outcomes(out: subprocess.CompletedProcess) -> list[tuple[str, str, int]]:
    return [(status, exp, int(r)) for status, exp, r in LINE.findall(out.stdout)]


def test_rounds_run_round_major_and_a_failed_round_stops_only_its_experiment(project) -> None:
    _, first, _, _ = project
    assert first.returncode == 1, first.stdout + first.stderr  # a round failed
    assert _outcomes(first) == [
        ("succeeded", "good", 0),
        ("failed", "broke", 0),
        ("succeeded", "good", 1),
        ("skipped", "broke", 1),
    ]
    assert "raise budget_usd" in first.stdout and "Traceback" not in first.stdout + first.stderr


def test_resume_skips_materialized_rounds_without_a_call(project) -> None:
    _, _, again, resent = project
    assert _outcomes(again) == [
        ("resumed", "good", 0),
        ("failed", "broke", 0),  # not materialized: run again, and fails again on its budget
        ("resumed", "good", 1),
        ("skipped", "broke", 1),
    ]
    assert resent == []  # nothing of good's asked again, and broke's budget buys nothing


def _mix_row(settings: Settings) -> str:
    with duckdb.connect(str(settings.warehouse), read_only=True) as conn:
        [(row_id,)] = conn.execute(
            "select id from main.final_mix where experiment = 'good' and round = 1 and origin = 'synthetic' "
            "order by id limit 1"
        ).fetchall()
    return row_id


def test_audit_prints_the_tree_back_to_human_seeds(project) -> None:
    settings = project[0]
    row_id = _mix_row(settings)
    out = _synth(settings, "audit", row_id)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0].startswith("final_mix") and row_id in out.stdout.splitlines()[0]
    for stage in ("filtered_set", "verified_traces", "cot_traces", "seed_set", "human_seeds"):
        assert re.search(rf"[└├]── .*{stage}", out.stdout), stage  # a node of the tree, below the row
    assert re.search(r"\d+ ancestors across \d+ stages; [1-9]\d* human seed row\(s\); unbroken chain", out.stdout)


def test_audit_json_is_the_same_ancestry_as_records(project) -> None:
    settings = project[0]
    row_id = _mix_row(settings)
    records = json.loads(_synth(settings, "audit", row_id, "--json").stdout)
    assert records[0]["id"] == row_id and records[0]["depth"] == 0
    assert {"final_mix", "cot_traces", "human_seeds"} <= {r["stage"] for r in records}
    ids = {r["id"] for r in records}
    assert all(r["child_id"] in ids for r in records if r["depth"] > 0)  # a connected tree
    assert {r["round"] for r in records if r["stage"] == "final_mix"} == {0, 1}


def test_audit_of_an_unknown_id_exits_2_with_one_line(project) -> None:
    out = _synth(project[0], "audit", "fin-nothing-like-it")
    assert out.returncode == 2 and "Traceback" not in out.stdout + out.stderr
    assert out.stdout.strip() == "error: no row with id 'fin-nothing-like-it' in any stage table."
