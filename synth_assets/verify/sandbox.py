"""Run untrusted Python (a model's code and its unit tests) where it cannot hurt the run.

Layers, each covering what the previous cannot:
- a launcher process that sets the limits and enters the namespaces, then execs the interpreter
  (no `preexec_fn`: Python code between fork and exec is unsafe in a threaded parent);
- a separate process of the base interpreter in isolated mode without site-packages (`-I -S`),
  a minimal environment (no API keys), a fresh temporary working directory;
- resource limits: CPU seconds, address space, file size, no core dumps; a wall-clock timeout
  that kills the whole process group;
- where the kernel allows it (unprivileged user namespaces), new user, mount and network
  namespaces: no network interface but loopback-less isolation, and the project directory
  hidden under an empty tmpfs, so the code sees neither the source nor the data;
- an audit hook installed before the candidate runs (audit hooks cannot be removed from Python):
  no subprocesses, `os.system`, forks, sockets or `ctypes`, and no writes or deletions outside
  the working directory.
The isolation actually applied is reported with every result.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXIT_ASSERTION, EXIT_ERROR, EXIT_BLOCKED = 3, 4, 5
Status = Literal["passed", "failed", "error", "timeout", "blocked"]

# Runs inside the sandbox before the candidate. Kept free of f-string braces on purpose: it is
# formatted with % so the candidate's own braces are never touched.
_PRELUDE = r"""
import os, sys
_WORK = os.path.realpath(os.getcwd())
_DENY = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
         "os.fork", "os.forkpty", "socket.", "ctypes.", "os.kill", "os.killpg", "pty.spawn", "os.putenv",
         "os.chdir")
_MODULES = ("ctypes", "_ctypes", "_posixsubprocess", "multiprocessing")
_PATHS = ("os.remove", "os.unlink", "os.rmdir", "os.rename", "os.replace", "shutil.rmtree", "shutil.move",
          "os.mkdir", "os.chmod", "os.chown", "os.truncate", "os.link", "os.symlink")
def _inside(path):
    try:
        real = os.path.realpath(os.fsdecode(path) if not isinstance(path, int) else _WORK)
    except Exception:
        return False
    return real == _WORK or real.startswith(_WORK + os.sep)
def _guard(event, args):
    if event.startswith(_DENY):
        raise PermissionError("sandbox: %%s is not allowed" %% event)
    if event == "import" and args and str(args[0]).split(".")[0] in _MODULES:
        raise PermissionError("sandbox: importing %%s is not allowed" %% args[0])
    if event in _PATHS and args and not _inside(args[0]):
        raise PermissionError("sandbox: %%s outside the working directory" %% event)
    writing = event == "open" and len(args) > 1 and args[1] and any(m in str(args[1]) for m in "wax+")
    if writing and not _inside(args[0]):
        raise PermissionError("sandbox: writing outside the working directory")
def _main():
    # The pass token comes through stdin and lives only in this frame: code that exits early
    # (sys.exit(0), os._exit(0)) or prints its way out never shows it, so it cannot fake a pass.
    token, write = sys.stdin.readline().strip(), os.write
    sys.stdin.close()
    namespace = {"__name__": "__main__"}
    exec(compile(%(program)r, "candidate.py", "exec"), namespace)
    exec(compile(%(check)r, "check.py", "exec"), namespace)
    write(1, ("\n" + token + "\n").encode())
sys.addaudithook(_guard)
del _guard
try:
    _main()
except AssertionError as _exc:
    print("AssertionError: %%s" %% (_exc,), file=sys.stderr)
    sys.exit(%(assertion)d)
except PermissionError as _exc:
    if str(_exc).startswith("sandbox:"):
        print(_exc, file=sys.stderr)
        sys.exit(%(blocked)d)
    raise
"""


@dataclass(frozen=True)
class SandboxLimits:
    wall_s: float = 10.0
    cpu_s: int = 5
    memory_mb: int = 512
    file_mb: int = 8
    output_bytes: int = 8_000


@dataclass(frozen=True)
class SandboxResult:
    status: Status
    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    isolation: str

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def summary(self) -> str:
        last = (self.stderr.strip().splitlines() or [""])[-1][:200]
        return f"{self.status} in {self.seconds:.2f}s" + (f": {last}" if last else "") + f" [{self.isolation}]"


# The first process in the sandbox: sets the limits, enters the namespaces, then replaces itself
# with the interpreter that runs the candidate. Doing this in a child of its own, rather than in a
# `preexec_fn`, keeps Python code out of the window between fork and exec, which is unsafe in a
# threaded parent such as a Dagster step.
_LAUNCHER = r"""
import ctypes, json, os, resource, sys
cfg = json.loads(sys.argv[1])
resource.setrlimit(resource.RLIMIT_CPU, (cfg["cpu_s"], cfg["cpu_s"] + 1))
resource.setrlimit(resource.RLIMIT_AS, (cfg["memory"], cfg["memory"]))
resource.setrlimit(resource.RLIMIT_FSIZE, (cfg["files"], cfg["files"]))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
if cfg["namespaces"]:
    libc = ctypes.CDLL(None, use_errno=True)
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(0x10000000 | 0x00020000 | 0x40000000) != 0:  # user, mount, network
        sys.exit("sandbox: unshare failed, errno %d" % ctypes.get_errno())
    open("/proc/self/setgroups", "w").write("deny")
    open("/proc/self/uid_map", "w").write("0 %d 1" % uid)
    open("/proc/self/gid_map", "w").write("0 %d 1" % gid)
    if libc.mount(None, b"/", None, 0x4000 | 0x40000, None) != 0:  # MS_REC | MS_PRIVATE
        sys.exit("sandbox: mount private failed")
    for path in cfg["hide"]:
        if libc.mount(b"tmpfs", path.encode(), b"tmpfs", 0, b"size=64k,mode=0555") != 0:
            sys.exit("sandbox: cannot hide " + path)
os.execv(cfg["argv"][0], cfg["argv"])
"""


def _launch_argv(limits: SandboxLimits, namespaces: bool, hide: list[str], argv: list[str]) -> list[str]:
    cfg = {
        "cpu_s": limits.cpu_s,
        "memory": limits.memory_mb * 2**20,
        "files": limits.file_mb * 2**20,
        "namespaces": namespaces,
        "hide": hide,
        "argv": argv,
    }
    return [_interpreter(), "-I", "-S", "-c", _LAUNCHER, json.dumps(cfg)]


@lru_cache(maxsize=1)
def namespaces_available() -> bool:
    """Probe once per process: containers and hardened kernels may forbid user namespaces."""
    probe = subprocess.run(
        _launch_argv(SandboxLimits(), True, [], [_interpreter(), "-I", "-S", "-c", "pass"]),
        capture_output=True,
        timeout=10,
        check=False,
    )
    return probe.returncode == 0


def _interpreter() -> str:
    """The base interpreter: a virtualenv's python may live inside the project directory."""
    return os.path.realpath(getattr(sys, "_base_executable", sys.executable))


def run_python(
    program: str, check: str = "", limits: SandboxLimits | None = None, hide: list[Path] | None = None
) -> SandboxResult:
    """Run `program`, then `check` (e.g. HumanEval's `check(entry_point)`) in its namespace. It
    passes only if both finish and the process exits cleanly having printed the run's token."""
    limits = limits or SandboxLimits()
    hidden = [str(p) for p in (hide if hide is not None else [PROJECT_ROOT]) if p.exists()]
    isolated = namespaces_available()
    isolation = "process, rlimits, audit guard" + (", user/mount/net namespaces, project hidden" if isolated else "")
    work = Path(tempfile.mkdtemp(prefix="sandbox-"))
    try:
        script = _PRELUDE % {"program": program, "check": check, "assertion": EXIT_ASSERTION, "blocked": EXIT_BLOCKED}
        (work / "main.py").write_text(script, encoding="utf-8")
        token = secrets.token_hex(16)
        argv = _launch_argv(limits, isolated, hidden, [_interpreter(), "-I", "-S", "main.py"])
        return _run(work, argv, limits, isolation, token)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(work: Path, argv: list[str], limits: SandboxLimits, isolation: str, token: str) -> SandboxResult:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(work), "TMPDIR": str(work), "PYTHONDONTWRITEBYTECODE": "1"}
    start = time.monotonic()
    proc = subprocess.Popen(
        argv,
        cwd=work,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate((token + "\n").encode(), timeout=limits.wall_s)
        timed_out = False
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        out, err = proc.communicate()
        timed_out = True
    seconds = time.monotonic() - start
    _kill_group(proc.pid)  # anything it left behind in its session
    code = proc.returncode
    text = out.decode(errors="replace")
    finished = token in text
    stdout = text.replace(token, "")[: limits.output_bytes].strip()
    stderr = err.decode(errors="replace")[-limits.output_bytes :]
    return SandboxResult(_status(code, timed_out, finished), code, stdout, stderr, seconds, isolation)


def _status(code: int | None, timed_out: bool, finished: bool) -> Status:
    if timed_out or code in (-9, -24):  # SIGKILL by us, SIGXCPU from the CPU limit
        return "timeout"
    if code == 0:
        return "passed" if finished else "error"  # exited 0 without finishing the check
    if code == EXIT_ASSERTION:
        return "failed"
    if code == EXIT_BLOCKED:
        return "blocked"
    return "error"


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, 9)
