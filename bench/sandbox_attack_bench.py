"""The code sandbox under resource attacks, measured from outside: what each attack did to the
caller, the host and the candidate's siblings, and what the 164 HumanEval references cost.

Uses the public API only (`check_code`, `check_many`), so the same file runs against an older
checkout for a before/after table: `PYTHONPATH=<checkout> python bench/sandbox_attack_bench.py`.

    .venv/bin/python bench/sandbox_attack_bench.py   (~1 min)

Prints one line per attack and, last, the references' time and the ratio it is judged by
(after / before is the caller's business: here, seconds per reference, target < 0.5 s).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # after PYTHONPATH: another checkout may come first

from synth_assets.seeds.humaneval import humaneval_tasks
from synth_assets.verify import check_code
from synth_assets.verify.ground_truth import check_many

TASKS = humaneval_tasks(164)
TASK = TASKS[0]


def answer(attack: str) -> str:
    program = textwrap.dedent(attack) + "\n" + TASK["prompt"] + TASK["solution"]
    return f"```python\n{program}\n```"


def rise_while(run: Callable[[], object], sample: Callable[[], int]) -> tuple[object, int]:
    base, peak, done = sample(), 0, threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, sample() - base)
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        try:
            result: object = run()
        except Exception as exc:  # what the caller would have seen
            result = f"raised {type(exc).__name__}"
    finally:
        done.set()
        watcher.join()
    return result, peak


def shmem() -> int:
    line = next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("Shmem:"))
    return int(line.split()[1]) * 1024


def disk() -> int:
    return shutil.disk_usage(tempfile.gettempdir()).used


def status(result: object) -> str:
    return result if isinstance(result, str) else f"{result.status}"  # type: ignore[attr-defined]


DEEP = """
import os
fd = os.open(".", os.O_RDONLY)
for _ in range(2500):
    os.mkdir("d", dir_fd=fd)
    fd, parent = os.open("d", os.O_RDONLY, dir_fd=fd), fd
    os.close(parent)
"""
SURROGATE = 'raise ValueError("bad " + chr(0xD800) + "\\x00\\x1b[31m")'
MEMORY = """
import os
block = b"x" * (8 * 2**20)  # a file may grow to 8 MB (RLIMIT_FSIZE): many files, then
for where in ("/tmp", "/dev/shm", "/", "memfd"):
    for i in range(64):
        try:
            fd = os.memfd_create("m") if where == "memfd" else os.open(f"{where}/m{i}", os.O_CREAT | os.O_WRONLY)
            os.write(fd, block)
        except OSError:
            break
"""
DISK = """
import os
for i in range(256):
    try:
        with open(f"f{i}", "wb") as f:
            f.write(b"x" * (8 * 2**20))
    except OSError:
        break
"""
HOLDER = """
import threading, time
threading.stack_size(64 * 1024)
for _ in range(200):
    try:
        threading.Thread(target=time.sleep, args=(20,), daemon=True).start()
    except RuntimeError:
        break
time.sleep(20)
"""


def deep() -> str:
    items = [
        ("code", TASK["prompt"], answer(DEEP), TASK["tests"]),
        ("code", TASK["prompt"], TASK["solution"], TASK["tests"]),
    ]
    result, _ = rise_while(lambda: check_many(items), disk)
    if isinstance(result, str):
        return result
    return "verdicts " + ", ".join(v.verdict for v in result)  # type: ignore[attr-defined]


def surrogate() -> str:
    import duckdb

    verdict = check_code(TASK["prompt"], answer(SURROGATE), TASK["tests"])
    con = duckdb.connect()
    con.execute("create table t (evidence varchar)")
    try:
        con.execute("insert into t values (?)", [verdict.reason])
        stored = "stored"
    except Exception as exc:
        stored = f"DuckDB: {type(exc).__name__}"
    return f"{verdict.status}, evidence {stored}"


def memory() -> str:
    result, rise = rise_while(lambda: check_code(TASK["prompt"], answer(MEMORY), TASK["tests"]), shmem)
    return f"{status(result)}, host shared memory +{rise / 2**20:.0f} MB"


def disk_fill() -> str:
    result, rise = rise_while(lambda: check_code(TASK["prompt"], answer(DISK), TASK["tests"]), disk)
    return f"{status(result)}, host disk +{rise / 2**20:.0f} MB"


def siblings() -> str:
    with ThreadPoolExecutor(1) as pool:
        hog = pool.submit(check_code, TASK["prompt"], answer(HOLDER), TASK["tests"])
        time.sleep(2.0)
        verdicts = [check_code(TASK["prompt"], TASK["solution"], TASK["tests"]) for _ in range(10)]
        hog.result()
    return f"{sum(v.passed for v in verdicts)} of 10 correct siblings passed"


REAPER = r"""
import ctypes, os, subprocess, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # a subreaper that never reaps, as a container's PID 1
subprocess.run([sys.executable, "-c", sys.argv[1]], check=True)
time.sleep(0.5)
zombies = 0
for entry in filter(str.isdigit, os.listdir("/proc")):
    try:
        stat = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        continue
    zombies += stat[0] == "Z" and int(stat[1]) == os.getpid()
print(zombies)
"""
SYNTAX_ERRORS = """
import sys
sys.path.insert(0, %r)
from synth_assets.seeds.humaneval import humaneval_tasks
from synth_assets.verify import check_code
task = humaneval_tasks(1)[0]
for _ in range(100):
    check_code(task["prompt"], "    return (", task["tests"])
print(check_code(task["prompt"], task["solution"], task["tests"]).status, file=sys.stderr)
"""


def zombies() -> str:
    import synth_assets

    root = str(Path(synth_assets.__file__).resolve().parents[1])  # the checkout being measured
    out = subprocess.run([sys.executable, "-c", REAPER, SYNTAX_ERRORS % root], capture_output=True, text=True)
    return f"{out.stdout.strip()} zombies after 100 syntax errors; next correct answer {out.stderr.strip()[-20:]}"


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
        ("2,500 nested directories, in a batch", deep),
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
