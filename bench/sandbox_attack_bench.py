"""The code sandbox under resource attacks, measured from outside: what each attack did to the
caller, the host and the candidate's siblings, and what the 164 HumanEval references cost.

Uses the public API only (`check_code`, `check_many`), so the same file runs against an older
checkout for a before/after table: `PYTHONPATH=<checkout> python bench/sandbox_attack_bench.py`.

    .venv/bin/python bench/sandbox_attack_bench.py   (~1 min)

Prints one line per attack and, last, the references' time and the ratio it is judged by
(after / before is the caller's business: here, seconds per reference, target < 0.5 s).
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # after PYTHONPATH: another checkout may come first
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "synth_assets_tests" / "support"))  # our attacks

from sandbox_attacks import (
    CHATTER,
    DEEP,
    DISK,
    HOLDER,
    MEMORY,
    host_disk_used,
    host_shmem,
    rise_while,
    zombies_after_syntax_errors,
)

import synth_assets
from synth_assets.seeds.humaneval import humaneval_tasks
from synth_assets.verify import check_code
from synth_assets.verify.ground_truth import check_many

TASKS = humaneval_tasks(164)
TASK = TASKS[0]


def answer(attack: str) -> str:
    return f"```python\n{attack}\n{TASK['prompt']}{TASK['solution']}\n```"


def status(result: object) -> str:
    return result if isinstance(result, str) else f"{result.status}"  # type: ignore[attr-defined]


def deep() -> str:
    items = [
        ("code", TASK["prompt"], answer(DEEP), TASK["tests"]),
        ("code", TASK["prompt"], TASK["solution"], TASK["tests"]),
    ]
    result, _ = rise_while(lambda: check_many(items), host_disk_used)
    if isinstance(result, str):
        return result
    return "verdicts " + ", ".join(v.verdict for v in result)  # type: ignore[attr-defined]


def surrogate() -> str:
    import duckdb

    verdict = check_code(TASK["prompt"], answer(CHATTER), TASK["tests"])
    con = duckdb.connect()
    con.execute("create table t (evidence varchar)")
    try:
        con.execute("insert into t values (?)", [verdict.reason])
        stored = "stored"
    except Exception as exc:
        stored = f"DuckDB: {type(exc).__name__}"
    return f"{verdict.status}, evidence {stored}"


def memory() -> str:
    result, rise = rise_while(lambda: check_code(TASK["prompt"], answer(MEMORY), TASK["tests"]), host_shmem)
    return f"{status(result)}, host shared memory +{rise / 2**20:.0f} MB"


def disk_fill() -> str:
    result, rise = rise_while(lambda: check_code(TASK["prompt"], answer(DISK), TASK["tests"]), host_disk_used)
    return f"{status(result)}, host disk +{rise / 2**20:.0f} MB"


def siblings() -> str:
    with ThreadPoolExecutor(1) as pool:
        hog = pool.submit(check_code, TASK["prompt"], answer(HOLDER), TASK["tests"])
        time.sleep(2.0)
        verdicts = [check_code(TASK["prompt"], TASK["solution"], TASK["tests"]) for _ in range(10)]
        hog.result()
    return f"{sum(v.passed for v in verdicts)} of 10 correct siblings passed"


def zombies() -> str:
    checkout = Path(synth_assets.__file__).resolve().parents[1]  # the checkout being measured
    left, status = zombies_after_syntax_errors(checkout, 100)
    return f"{left} zombies after 100 syntax errors; next correct answer {status}"


def stop_iteration() -> str:
    from synth_assets.verify.sandbox import run_tests

    outcome = run_tests("def f(x):\n    raise StopIteration\n", "def check(c):\n    assert all(map(c, [1, 2]))\n", "f")
    return outcome.status


def references() -> tuple[float, float, int]:
    """Seconds for the 164 references one by one and with check_many, and how many did not pass."""
    start = time.perf_counter()
    serial = [check_code(t["prompt"], t["solution"], t["tests"]).passed for t in TASKS]
    one = time.perf_counter() - start
    start = time.perf_counter()
    many = check_many([("code", t["prompt"], t["solution"], t["tests"]) for t in TASKS])
    both = time.perf_counter() - start
    return one, both, serial.count(False) + sum(not v.passed for v in many)


def main() -> None:
    for name, attack in (
        ("3,000 nested directories, in a batch", deep),
        ("lone surrogate and escapes in the evidence", surrogate),
        ("2 GB in /tmp, /dev/shm, / and memfd", memory),
        ("256 x 8 MB files in the work dir", disk_fill),
        ("a candidate holding every task slot", siblings),
        ("100 syntax errors under a non-reaping parent", zombies),
        ("StopIteration through `all(map(...))`", stop_iteration),
    ):
        print(f"{name:48} {attack()}", flush=True)
    serial, parallel, failed = references()
    print(f"164 HumanEval references: {serial:.1f} s one by one, {parallel:.1f} s with check_many, {failed} not passed")
    print(f"ratio (seconds per reference / 0.5): {serial / 164 / 0.5:.3f}")


if __name__ == "__main__":
    main()
