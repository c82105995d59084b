"""A careless user against the CLI: every bad input gets one line naming the file, the line and
the field, exit code 2, no traceback, and nothing written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from synth_assets.cli import app
from synth_assets.settings import Settings
from synth_assets_tests.conftest import TINY

runner = CliRunner()


def _env(settings: Settings) -> dict[str, str]:
    return {"SYNTH_DATA_DIR": str(settings.data_dir), "DAGSTER_HOME": str(settings.dagster_home)}


def _refused(settings: Settings, command: str = "run", *args: str) -> str:
    """Runs the command; asserts exit 2, no traceback, one error line, nothing written."""
    result = runner.invoke(app, [command, *args], env=_env(settings))
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output, result.output
    # typer ends a refused command with SystemExit(2); anything else escaping is a crash
    assert result.exception is None or (isinstance(result.exception, SystemExit) and result.exception.code == 2)
    assert len(errors) == 1, result.output
    assert not settings.dagster_home.exists() and not settings.warehouse.exists()
    return errors[0]


def _config(settings: Settings, **changes: object) -> None:
    config = json.loads(json.dumps(TINY))
    for path, value in changes.items():
        node = config
        *parents, last = path.split("__")
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        node[last] = value
    settings.experiments_file.write_text(yaml.safe_dump(config))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"defaults": ["rounds", 3]}, "defaults: expected a mapping"),
        ({"defaults": "rounds: 3"}, "defaults: expected a mapping"),
        ({"defaults__rounds": True}, "experiments[0] (acc).rounds: Input should be a valid integer"),
        ({"defaults__sizes__mix_size": 10**12}, "sizes.mix_size: Input should be less than or equal to"),
        ({"defaults__generator__timeout_s": float("inf")}, "generator.timeout_s: Input should be a finite number"),
        (
            {
                "defaults__sizes": {
                    "instructions_per_round": 0,
                    "math_problems_per_round": 0,
                    "reference_tasks_per_round": 0,
                }
            },
            "a round would generate nothing",
        ),
        ({"experiments__0__name": "a[/]b"}, "experiments[0] (a[/]b).name"),
        ({"experiments__0__name": "../../x"}, "experiments[0] (../../x).name"),
        ({"experiments__0__name": "a|b"}, "experiments[0] (a|b).name"),
    ],
)
def test_a_bad_experiments_file(tiny_settings: Settings, changes: dict, expected: str) -> None:
    _config(tiny_settings, **changes)
    line = _refused(tiny_settings)
    assert str(tiny_settings.experiments_file) in line and expected in line, line


def test_a_key_written_twice(tiny_settings: Settings) -> None:
    text = yaml.safe_dump(TINY).replace("rounds: 3", "rounds: 3\n  rounds: 30")
    tiny_settings.experiments_file.write_text(text)
    line = _refused(tiny_settings)
    assert "key 'rounds' appears twice (lines" in line and str(tiny_settings.experiments_file) in line


def test_bytes_that_are_not_utf8_are_located(tiny_settings: Settings) -> None:
    data = yaml.safe_dump(TINY).encode().split(b"\n")
    data[2] += b" # caf\xe9"
    tiny_settings.experiments_file.write_bytes(b"\n".join(data))
    assert f"{tiny_settings.experiments_file}:3: not UTF-8 text (byte 0xe9" in _refused(tiny_settings)
    seeds = tiny_settings.seeds_dir / "math_problems.jsonl"
    tiny_settings.experiments_file.write_text(yaml.safe_dump(TINY))
    lines = seeds.read_bytes().split(b"\n")
    lines[6] = lines[6].replace(b'"question": "', b'"question": "\xff', 1)
    seeds.write_bytes(b"\n".join(lines))
    assert f"{seeds}:7: not UTF-8 text (byte 0xff" in _refused(tiny_settings, "check")


def test_a_directory_where_the_file_should_be(tiny_settings: Settings) -> None:
    tiny_settings.experiments_file.unlink()
    tiny_settings.experiments_file.mkdir()
    assert f"{tiny_settings.experiments_file}: is a directory, not a file" in _refused(tiny_settings)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("instruction", "x" * (10 * 2**20), "field 'instruction': String should have at most"),
        ("instruction", "   \n\t ", "field 'instruction': Value error, is only whitespace"),
        ("output", " ", "field 'output': Value error, is only whitespace"),
        ("id", "a[/]b", "field 'id': String should match pattern"),
    ],
)
def test_a_bad_instruction_seed(tiny_settings: Settings, field: str, value: str, expected: str) -> None:
    path = tiny_settings.seeds_dir / "instruction_tasks.jsonl"
    lines = path.read_text().splitlines()
    row = json.loads(lines[3])
    row[field] = value
    lines[3] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n")
    line = _refused(tiny_settings, "check")
    assert f"{path}:4: {expected}" in line, line[:300]


@pytest.mark.parametrize("answer", ["NaN", "Infinity", "-inf"])
def test_a_math_answer_that_is_not_a_finite_number(tiny_settings: Settings, answer: str) -> None:
    path = tiny_settings.seeds_dir / "math_problems.jsonl"
    lines = path.read_text().splitlines()
    row = json.loads(lines[0])
    row["answer"] = answer
    lines[0] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n")
    assert f"{path}:1: field 'answer': Value error, must be a finite number" in _refused(tiny_settings, "check")


def _synth(settings: Settings, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    synth = Path(sys.executable).with_name("synth")
    start = time.monotonic()
    out = subprocess.run(
        [str(synth), *args], env={**os.environ, **_env(settings)}, capture_output=True, text=True, timeout=60
    )
    return out, time.monotonic() - start


def _at_once(settings: Settings, seconds: float) -> bool:
    """Within a few seconds of what the CLI takes to start and refuse a bad argument, measured now:
    the point is no lock retry loop (dagster-duckdb's took 104 s), not a wall clock that a loaded
    machine can miss."""
    _, startup = _synth(settings, "audit")
    return seconds < startup + 4


def test_audit_of_a_warehouse_another_process_holds_answers_at_once(tiny_settings: Settings) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time\nc = duckdb.connect({str(tiny_settings.warehouse)!r})\n"
         "print('ready', flush=True)\ntime.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        out, seconds = _synth(tiny_settings, "audit", "fin-0123")
    finally:
        holder.kill()
        holder.wait()
    assert out.returncode == 2 and _at_once(tiny_settings, seconds) and "Traceback" not in out.stdout + out.stderr
    [line] = out.stdout.strip().splitlines()
    assert line.startswith("error:") and "in use by another process (PID" in line


def test_audit_of_a_file_that_is_not_a_warehouse(tiny_settings: Settings) -> None:
    tiny_settings.warehouse.write_text("not a database\n")
    out, seconds = _synth(tiny_settings, "audit", "fin-0123")
    assert out.returncode == 2 and _at_once(tiny_settings, seconds)
    assert out.stdout.strip() == f"error: {tiny_settings.warehouse}: not a DuckDB database file"


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"SYNTH_PROFILE": "cluster"}, "SYNTH_PROFILE='cluster': must be 'local' or 'shared'"),
        ({"SYNTH_PROFILE": "shared"}, "SYNTH_PROFILE=shared needs SYNTH_POSTGRES_URL"),
        ({"SYNTH_LAKE_PATH": "s3://bucket/lake"}, "object storage is not supported yet"),
    ],
)
def test_a_bad_profile_is_one_line(tiny_settings: Settings, monkeypatch, env: dict, says: str) -> None:
    monkeypatch.delenv("SYNTH_POSTGRES_URL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert says in _refused(tiny_settings, "check")
