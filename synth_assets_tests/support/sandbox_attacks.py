"""Resource attacks on the code sandbox and the host-side measures that judge them, shared by
`verify_tests/test_sandbox_resources.py` (which asserts the bounds) and
`bench/sandbox_attack_bench.py` (which prints them, for any checkout, before and after).

Each attack is module code the candidate runs at import, before the function it defines.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

DEEP = """
import os
fd = os.open(".", os.O_RDONLY)
for _ in range(3000):
    os.mkdir("d", dir_fd=fd)
    fd, parent = os.open("d", os.O_RDONLY, dir_fd=fd), fd
    os.close(parent)
"""
CHATTER = 'raise ValueError("bad " + chr(0xD800) + "\\x00\\x1b[31m\\u202e" + "x" * 100_000)'
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
threading.stack_size(64 * 1024)  # small stacks: the address-space limit is not what stops it
for _ in range(200):
    try:
        threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
    except RuntimeError:
        break
time.sleep(30)
"""


def rise_while(run: Callable[[], object], sample: Callable[[], int]) -> tuple[object, int]:
    """`run()`'s result (or "raised <name>" when it raised), and the largest rise of `sample()`
    over its value before, sampled every 10 ms."""
    base, peak, done = sample(), 0, threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, sample() - base)
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        result: object = run()
    except Exception as exc:  # what the caller would have seen
        result = f"raised {type(exc).__name__}"
    finally:
        done.set()
        watcher.join()
    return result, peak


def host_shmem() -> int:
    """Bytes of tmpfs, shared memory and memfd pages on the host (what RLIMIT_AS never sees)."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("Shmem:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no Shmem in /proc/meminfo")


def host_disk_used() -> int:
    return shutil.disk_usage(tempfile.gettempdir()).used


def sandbox_tasks() -> int:
    """Live threads and processes of the sandbox uid: both count against a process limit."""
    out = subprocess.run(["ps", "-eLo", "user=,stat="], capture_output=True, text=True, check=True).stdout
    return sum(1 for line in out.splitlines() if line.split()[:1] == ["nobody"] and not line.split()[1].startswith("Z"))


_NON_REAPING_PARENT = r"""
import ctypes, os, subprocess, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # a subreaper that never reaps what it adopts, as a container's PID 1
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
_SYNTAX_ERRORS = """
import sys
sys.path.insert(0, %r)
from synth_assets.seeds.humaneval import humaneval_tasks
from synth_assets.verify import check_code
task = humaneval_tasks(1)[0]
for _ in range(%d):
    check_code(task["prompt"], "    return (", task["tests"])  # a syntax error: the program exits by itself
print(check_code(task["prompt"], task["solution"], task["tests"]).status, file=sys.stderr)
"""


def zombies_after_syntax_errors(checkout: Path, n: int) -> tuple[int, str]:
    """Zombies left under a parent that does not reap, after `n` programs that end by themselves,
    and the status of the correct answer checked next."""
    script = _SYNTAX_ERRORS % (str(checkout), n)
    out = subprocess.run(
        [sys.executable, "-c", _NON_REAPING_PARENT, script], capture_output=True, text=True, timeout=300, check=True
    )
    return int(out.stdout.split()[-1]), out.stderr.strip().splitlines()[-1]
