"""Shared fixtures: a temporary project data dir (real seed files, tiny experiment sizes) and a
temporary DuckDB warehouse, so asset tests never touch the user's data/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from synth_assets.config.settings import Settings
from synth_assets_tests.support.paths import PROJECT_DATA

SLOW_ROUND_CALLS = 2_000
# How long a stop may take in tests that interrupt work: in-flight calls get 2 s, then Dagster and
# the interpreter shut down, which a loaded 2-core machine can stretch; far below the minutes the
# interrupted work would still run.
STOP_BOUND_S = 30.0

TINY = {
    "defaults": {
        "rounds": 3,
        "generator": {"instruction_max_tokens": 96, "trace_max_tokens": 64},
        "sizes": {
            "instructions_per_round": 3,
            "math_problems_per_round": 1,
            "reference_tasks_per_round": 2,
            "samples_per_task": 2,
            "in_context_examples": 6,
            "mix_size": 12,
        },
    },
    "experiments": [
        {"name": "acc", "regime": "accumulate", "seed": 3},
        {"name": "rep", "regime": "replace", "seed": 3},
    ],
}


@pytest.fixture
def tiny_settings(tmp_path: Path) -> Settings:
    data = tmp_path / "data"
    shutil.copytree(PROJECT_DATA / "seeds", data / "seeds")
    shutil.copytree(PROJECT_DATA / "heldout", data / "heldout")
    (data / "experiments.yaml").write_text(yaml.safe_dump(TINY))
    return Settings.from_env({"SYNTH_DATA_DIR": str(data), "DAGSTER_HOME": str(tmp_path / "home")})


def use_slow_remote_generator(settings: Settings, url: str) -> None:
    """A round that generates for minutes against the loopback server at `url` (two calls in
    flight, 0.3 s each when the server is made so: 2,000 calls take 5 minutes): for tests that
    interrupt it mid-stage and bound how long stopping takes far below that."""
    config = yaml.safe_load(settings.experiments_file.read_text())
    config["defaults"]["sizes"]["instructions_per_round"] = SLOW_ROUND_CALLS
    config["defaults"]["generator"] = {
        "backend": "openai",
        "model": "m",
        "base_url": f"{url}/v1",
        "concurrency": 2,
        "adaptive": False,
    }
    settings.experiments_file.write_text(yaml.safe_dump(config))


@pytest.fixture(autouse=True)
def _no_stale_dagster_state_storage():
    """Dagster keeps the current defs-state storage in a ContextVar that `with instance:` sets and
    resets. When the exit runs where the reset is impossible (Dagster then falls back to setting
    None elsewhere), the variable keeps pointing at a storage whose instance is gone, and the next
    test that builds a repository fails with "Attempted to resolve undefined DagsterInstance
    weakref" (seen intermittently, depending on GC timing). Each test starts without one."""
    from dagster._core.storage.defs_state.base import _current_storage

    _current_storage.set(None)
    yield
    _current_storage.set(None)


def _skips_fail() -> bool:
    """Under CI (or `SYNTH_TESTS_NO_SKIP=1`) a skip is a failure: `make test` installs every
    service the suite needs, so a skip there means a test that silently did not run."""
    return any(os.environ.get(name, "").lower() not in ("", "0", "false") for name in ("CI", "SYNTH_TESTS_NO_SKIP"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and _skips_fail() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, where nothing may be: {reason}"
