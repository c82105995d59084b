"""A careless user against the CLI: every bad input gets one line naming the file, the line and
the field, exit code 2, no traceback, and nothing written."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from synth_assets.cli import app
from synth_assets.config.settings import Settings
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


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--rounds", "-1"], "--rounds -1: must be at least 1"),
        (["--rounds", "0"], "--rounds 0: must be at least 1"),
        (["--rounds", "4"], "--rounds 4: the chosen experiments are configured for at most 3 round(s)"),
        (["-e", "acc", "-e", "nope"], "--experiment 'nope': no such experiment; the experiments file has acc, rep"),
        (["--log-level", "loud"], "--log-level 'loud': must be one of DEBUG, INFO"),
    ],
)
def test_a_bad_argument_is_one_line(tiny_settings: Settings, args: list[str], says: str) -> None:
    assert says in _refused(tiny_settings, "run", *args)


def _refused_with(settings: Settings, env: dict[str, str], command: str = "run") -> tuple[str, float]:
    """Like `_refused`, with further environment; returns the line and the seconds it took."""
    start = time.monotonic()
    result = runner.invoke(app, [command], env={**_env(settings), **env})
    seconds = time.monotonic() - start
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert [line.startswith("error:") for line in result.output.splitlines()] == [True], result.output
    assert not settings.warehouse.exists()
    return result.output.strip(), seconds


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"SYNTH_DATA_DIR": "{tmp}/nowhere"}, "SYNTH_DATA_DIR={tmp}/nowhere: no such directory"),
        ({"SYNTH_WAREHOUSE": "{tmp}"}, "SYNTH_WAREHOUSE={tmp}: is a directory, not a database file"),
        ({"DAGSTER_HOME": "{tmp}/data/experiments.yaml"}, "is a file, not a directory"),
        ({"SYNTH_WAREHOUSE": "{tmp}/data/experiments.yaml/w.duckdb"}, "is a file, not a directory"),
    ],
)
def test_a_bad_path_in_the_environment_is_one_line(tiny_settings: Settings, env: dict, says: str) -> None:
    tmp = str(tiny_settings.data_dir.parent)
    line, _ = _refused_with(tiny_settings, {k: v.format(tmp=tmp) for k, v in env.items()})
    assert says.format(tmp=tmp) in line


@pytest.mark.parametrize("command", ["run", "check", "init", "summary"])
def test_an_unreachable_postgresql_is_one_line_within_seconds_without_its_password(
    tiny_settings: Settings, command: str
) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://synth:hunter2secret@127.0.0.1:{port}/synth"
    line, seconds = _refused_with(tiny_settings, {"SYNTH_PROFILE": "shared", "SYNTH_POSTGRES_URL": url}, command)
    assert f"SYNTH_POSTGRES_URL=postgresql://synth:***@127.0.0.1:{port}/synth: cannot connect" in line
    assert "hunter2secret" not in line and seconds < 10
    assert not tiny_settings.dagster_home.exists()


def test_a_model_endpoint_that_cannot_be_reached_is_named(tiny_settings: Settings, monkeypatch) -> None:
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _config(tiny_settings, experiments__1__generator={"backend": "openai", "base_url": f"http://127.0.0.1:{port}/v1"})
    line, seconds = _refused_with(tiny_settings, {})
    assert f"experiment 'rep': generator.base_url=http://127.0.0.1:{port}/v1: cannot be reached" in line
    assert seconds < 10


def test_a_missing_api_key_is_named_before_the_run(tiny_settings: Settings, monkeypatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    _config(tiny_settings, experiments__0__judge={"backend": "anthropic", "model": "claude-x"})
    line, _ = _refused_with(tiny_settings, {})
    assert line == "error: experiment 'acc': judge uses 'anthropic' but ANTHROPIC_API_KEY is not set"


def test_a_bad_persona_is_located(tiny_settings: Settings) -> None:
    path = tiny_settings.seeds_dir / "personas.jsonl"
    lines = path.read_text().splitlines()
    lines[2] = json.dumps({"id": "persona-003", "persona": "   "})
    path.write_text("\n".join(lines) + "\n")
    assert "personas.jsonl:3: field 'persona'" in _refused(tiny_settings, "check")


def test_a_bad_principle_is_located(tiny_settings: Settings) -> None:
    path = tiny_settings.seeds_dir / "constitution.jsonl"
    lines = path.read_text().splitlines()
    lines[1] = json.dumps({"id": "follows-instruction", "critique": "Find faults.", "revision": "Fix them."})
    path.write_text("\n".join(lines) + "\n")
    assert "constitution.jsonl:2: field 'comparison': Field required" in _refused(tiny_settings, "check")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("levels: [one, one]\nsubjects: {math: [fractions]}\n", "field 'levels': Value error, levels must be distinct"),
        ("levels: [one]\nsubjects: {math: [fractions, fractions]}\n", "math: needs distinct, non-blank topics"),
        ("levels: [one]\nsubjects: {math: [x]}\nlevels: [two]\n", "key 'levels' appears twice"),
    ],
)
def test_a_bad_curriculum_is_located(tiny_settings: Settings, text: str, says: str) -> None:
    (tiny_settings.seeds_dir / "curriculum.yaml").write_text(text)
    line = _refused(tiny_settings, "check")
    assert "curriculum.yaml" in line and says in line
