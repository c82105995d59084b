"""A candidate against the host's resources and its siblings, each measured from outside the
sandbox: the caller always gets a verdict, host memory and disk grow no more than the limits
allow, a candidate holding every process it can does not fail its correct siblings, no zombie
is left under a parent that does not reap, and a passing failure of the sandbox probe is neither
kept nor turned into weak isolation."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest

from synth_assets.seeds.humaneval import humaneval_tasks
from synth_assets.verify import CodeVerdict, check_code, sandbox
from synth_assets.verify.ground_truth import check_ground_truth, check_many
from synth_assets.verify.sandbox import SandboxLimits, SandboxPolicy, run_tests
from synth_assets_tests.support.paths import ROOT
from synth_assets_tests.support.requirements import needs_cgroups, needs_sandbox
from synth_assets_tests.support.sandbox_attacks import (
    CHATTER,
    DEEP,
    DISK,
    HOLDER,
    MEMORY,
    host_disk_used,
    host_shmem,
    rise_while,
    sandbox_tasks,
    zombies_after_syntax_errors,
)

TASK = humaneval_tasks(1)[0]
RIGHT = TASK["solution"]
LIMITS = SandboxLimits(wall_s=6.0, cpu_s=4, memory_mb=256)
CHECKOUT = ROOT
pytestmark = needs_sandbox


def with_attack(attack: str, limits: SandboxLimits = LIMITS) -> CodeVerdict:
    """The right answer, after `attack` ran at import time in the candidate's module."""
    return check_code(TASK["prompt"], _answer(attack), TASK["tests"], limits)


def _answer(attack: str) -> str:
    return f"```python\n{attack}\n{TASK['prompt']}{RIGHT}\n```"


def test_a_deep_directory_tree_cannot_crash_the_caller() -> None:
    """1,900 nested directories once made the caller's clean-up raise RecursionError."""
    assert with_attack(DEEP).passed  # harmless now: the tree lived in the sandbox's own tmpfs
    items = [("code", TASK["prompt"], _answer(DEEP), TASK["tests"]), ("code", TASK["prompt"], RIGHT, TASK["tests"])]
    assert [v.verdict for v in check_many(items)] == ["passed", "passed"]


def test_what_the_candidate_says_is_escaped_before_it_is_stored() -> None:
    verdict = with_attack(CHATTER)
    assert verdict.status == "failed"
    for forbidden, shown in (("\x00", "\\x00"), ("\x1b", "\\x1b"), ("\ud800", "\\ud800"), ("\u202e", "\\u202e")):
        assert forbidden not in verdict.reason and shown in verdict.reason
    assert len(verdict.reason) < 2_000
    con = duckdb.connect()
    con.execute("create table t (evidence varchar)")
    con.execute("insert into t values (?)", [verdict.reason])  # a lone surrogate here used to break the connection
    assert con.execute("select count(*) from t where evidence like '%\\ud800%'").fetchone() == (1,)


@needs_cgroups
def test_memory_in_tmpfs_shm_and_memfd_is_charged_to_the_sandbox() -> None:
    """Files in /tmp, /dev/shm and / and memfd pages held 2 GB of host memory (4x the address
    space limit). Now they count against the sandbox's memory cgroup: the host's shared memory
    rises by no more than the limit, and the candidate is stopped, not passed."""
    limits = SandboxLimits(wall_s=15.0, cpu_s=10, memory_mb=256)
    verdict, rise = rise_while(lambda: with_attack(MEMORY, limits), host_shmem)
    assert rise < (256 + 32) * 2**20, f"host shared memory rose {rise / 2**20:.0f} MB"
    assert isinstance(verdict, CodeVerdict) and verdict.status in ("passed", "error", "failed", "timeout")


def test_files_in_the_work_dir_never_reach_the_host_disk() -> None:
    """256 files of 8 MB put 2 GB on the host's disk; the work dir is now a capped tmpfs."""
    verdict, rise = rise_while(lambda: with_attack(DISK), host_disk_used)
    assert rise < 16 * 2**20, f"host disk use rose {rise / 2**20:.0f} MB"
    assert isinstance(verdict, CodeVerdict) and verdict.passed  # the candidate still ran, inside its cap


@needs_cgroups
def test_a_candidate_holding_every_process_slot_does_not_fail_its_siblings() -> None:
    """A candidate starts threads until it may not and holds them (each is a task the process
    limit counts); 10 correct siblings run meanwhile. With one per-uid pool they failed (8 and 9
    of 10); with a pool per sandbox they pass."""
    held: list[int] = []
    with ThreadPoolExecutor(1) as pool:
        hog = pool.submit(with_attack, HOLDER, SandboxLimits(wall_s=12.0, cpu_s=4, memory_mb=256))
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline and max(held, default=0) < 60:
            held.append(sandbox_tasks())
            time.sleep(0.1)
        siblings = [check_code(TASK["prompt"], RIGHT, TASK["tests"]) for _ in range(10)]
        assert not hog.result().passed
    assert max(held) >= 60, f"the holder never held its slots ({max(held)} processes)"
    assert [v.status for v in siblings] == ["passed"] * 10, [v.reason for v in siblings if not v.passed]


def test_no_zombie_is_left_under_a_parent_that_does_not_reap() -> None:
    """100 programs that ended by themselves left 62 zombies and the next correct answer `error`."""
    assert zombies_after_syntax_errors(CHECKOUT, 100) == (0, "passed")


def test_stop_iteration_from_the_candidate_is_its_error_not_the_tests_control_flow() -> None:
    test = "def check(candidate):\n    assert all(map(candidate, [1, 2, 3]))\n"
    program = "def f(x):\n    raise StopIteration\n"
    assert run_tests(program, test, "f", limits=LIMITS).status == "failed"
    assert run_tests("def f(x):\n    return True\n", test, "f", limits=LIMITS).status == "passed"


def test_a_passing_probe_failure_is_retried_and_never_turns_into_weak_isolation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = sandbox._probe
    transient = sandbox.Isolation(False, "bwrap: Resource temporarily unavailable", *sandbox._interpreter(), False)
    calls = iter([transient])
    monkeypatch.setattr(sandbox, "_probed", None)
    monkeypatch.setattr(sandbox, "_probe", lambda: next(calls, None) or real())
    weak_allowed = SandboxPolicy(allow_weak_isolation=True)
    first = run_tests(TASK["prompt"] + RIGHT, json.loads(TASK["tests"])["test"], "has_close_elements",
                      TASK["prompt"], LIMITS, weak_allowed)  # fmt: skip
    assert first.status == "unavailable" and "WEAK" not in first.isolation and "asked again" in first.reason
    assert sandbox.isolation(retry_after_s=0).available  # asked again: the real sandbox
    again = check_code(TASK["prompt"], RIGHT, TASK["tests"], LIMITS, weak_allowed)
    assert again.passed and not again.weak


def test_weak_passes_count_only_when_a_second_setting_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    missing = sandbox.Isolation(False, "bwrap not found", *sandbox._interpreter())  # permanent
    monkeypatch.setattr(sandbox, "isolation", lambda: missing)
    weak = SandboxPolicy(allow_weak_isolation=True)
    v = check_ground_truth("code", TASK["prompt"], RIGHT, TASK["tests"], weak)
    assert v.verdict == "no_answer" and "not counted" in v.evidence
    counted = SandboxPolicy(allow_weak_isolation=True, count_weak_passes=True)
    assert check_ground_truth("code", TASK["prompt"], RIGHT, TASK["tests"], counted).verdict == "passed"


def test_a_host_failure_or_a_broken_item_is_a_verdict_not_an_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    items = [("code", TASK["prompt"], RIGHT, "not json"), ("code", TASK["prompt"], RIGHT, TASK["tests"])]
    assert [v.verdict for v in check_many(items)] == ["no_answer", "passed"]

    def full(*_: object, **__: object) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sandbox, "_files_dir", full)
    v = check_ground_truth("code", TASK["prompt"], RIGHT, TASK["tests"])
    assert v.verdict == "no_answer" and "No space left on device" in v.evidence
