"""Run a model's code where it can neither hurt the run nor decide its own verdict.

Two processes, nothing shared but two pipes of plain data:
- the **candidate** (`candidate_main.py`) runs the model's program and serves calls to its
  functions. It runs under bubblewrap (`bwrap`, Debian's package): new user, PID, mount,
  network, IPC and UTS namespaces, as an unprivileged uid on the host (nobody when we are root),
  no capabilities, no further user namespaces, a read-only view holding only the interpreter's
  files and its work dir (no home, no project, no data, no /tmp sockets), and with
  `--die-with-parent` and its own PID namespace, all of its processes die with it. `prlimit`
  caps CPU, memory, file size and (as nobody) processes. An audit hook inside is a second line;
- the **harness** (`harness_main.py`) runs the task's tests, calling the candidate through a
  proxy; every comparison happens there, on values it decoded itself.
Both outputs are read incrementally and capped (a flood is reported, not buffered), and the wall
clock holds even when something keeps a pipe open.

Where bwrap is missing or the kernel refuses namespaces, nothing is run and nothing passes,
unless weaker isolation (separate processes, limits, the audit hook) was explicitly allowed.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

HERE = Path(__file__).resolve().parent
PROJECT_ROOT = HERE.parents[1]
NOBODY = 65534
INSIDE_UID = 1000  # the candidate's uid inside its namespace; outside it is nobody (or the caller)
Status = Literal["passed", "failed", "error", "timeout", "reward_hacking", "unavailable"]


@dataclass(frozen=True)
class SandboxLimits:
    wall_s: float = 10.0
    cpu_s: int = 5
    memory_mb: int = 512
    file_mb: int = 8
    output_bytes: int = 8_000  # kept of each stream, for the evidence
    flood_bytes: int = 4 * 2**20  # more than this on the candidate's stdout/stderr is a flood
    processes: int = 64  # per sandbox uid (enforced when the sandbox has a uid of its own)


@dataclass(frozen=True)
class SandboxPolicy:
    """`allow_weak_isolation`: run without namespaces where bwrap is unavailable (the verdicts
    then say so). Off by default: unisolated code does not get to pass."""

    allow_weak_isolation: bool = False


@dataclass(frozen=True)
class TestOutcome:
    status: Status
    reason: str
    seconds: float
    isolation: str
    stdout: str = ""
    stderr: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def summary(self) -> str:
        return f"{self.status} in {self.seconds:.2f}s: {self.reason} [{self.isolation}]"


@dataclass(frozen=True)
class Isolation:
    available: bool
    description: str
    interpreter: str  # the Python the candidate runs under
    binds: tuple[str, ...]  # read-only paths it sees besides /usr


# -- choosing and probing the isolation -------------------------------------------------------------
def _sandbox_uid() -> int | None:
    """As root the candidate runs as nobody; otherwise as the caller (its namespaces still keep
    it from everything else the caller owns)."""
    return NOBODY if os.geteuid() == 0 else None


def _world_readable(path: Path) -> bool:
    """Every directory on the way can be entered by others (so nobody can reach the file)."""
    for part in [path, *path.parents]:
        with contextlib.suppress(OSError):
            if not part.stat().st_mode & 0o001:
                return False
    return True


def _interpreter() -> tuple[str, tuple[str, ...]]:
    """The base interpreter when the sandbox uid can reach it, else the system's Python 3."""
    base = Path(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))
    prefix = Path(sys.base_prefix)
    if _sandbox_uid() is None or _world_readable(base):
        return str(base), (() if str(prefix).startswith("/usr") else (str(prefix),))
    return "/usr/bin/python3", ()


def _root_links() -> list[str]:
    """/lib, /lib64 and /bin as the host has them: links into /usr (merged /usr) or directories."""
    args: list[str] = []
    for name in ("/lib", "/lib64", "/bin", "/sbin"):
        path = Path(name)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), name]
        elif path.is_dir():
            args += ["--ro-bind", name, name]
    return args


def _bwrap_argv(
    isolation: Isolation, work: Path, limits: SandboxLimits, command: list[str], info_fd: int | None = None
) -> list[str]:
    binds = [arg for path in isolation.binds for arg in ("--ro-bind", path, path)]
    info = ["--info-fd", str(info_fd)] if info_fd is not None else []
    return [
        *_prlimit(limits, own_uid=_sandbox_uid() is not None),
        "bwrap", *info, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
        "--uid", str(INSIDE_UID), "--gid", str(INSIDE_UID), "--cap-drop", "ALL",
        "--ro-bind", "/usr", "/usr", *_root_links(), *binds,
        "--bind", str(work), "/work", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
        "--chdir", "/work", "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/work",
        "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
        isolation.interpreter, "-I", "-S", "-u", *command,
    ]  # fmt: skip


def _prlimit(limits: SandboxLimits, own_uid: bool) -> list[str]:
    cpu, memory, files = limits.cpu_s, limits.memory_mb * 2**20, limits.file_mb * 2**20
    argv = ["prlimit", f"--cpu={cpu}:{cpu + 1}", f"--as={memory}", f"--fsize={files}", "--core=0"]
    if own_uid:  # the process limit counts every process of the uid: only safe with one of our own
        argv.append(f"--nproc={limits.processes}")
    return [*argv, "--"]


@lru_cache(maxsize=1)
def isolation() -> Isolation:
    """Probed once per process: is bwrap there, and does the kernel let it make namespaces?"""
    interpreter, binds = _interpreter()
    if shutil.which("bwrap") is None:
        return Isolation(False, "bwrap not found (Debian/Ubuntu: apt-get install bubblewrap)", interpreter, binds)
    with tempfile.TemporaryDirectory(prefix="sandbox-probe-") as tmp:
        work = _work_dir(Path(tmp))
        probe = Isolation(True, "", interpreter, binds)
        argv = _bwrap_argv(probe, work, SandboxLimits(), ["-c", "print('ok')"])
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False, **_as_sandbox_uid())
    if out.returncode != 0 or out.stdout.strip() != "ok":
        reason = (out.stderr.strip().splitlines() or ["no output"])[-1][:200]
        return Isolation(False, f"bwrap could not start a sandbox: {reason}", interpreter, binds)
    who = "nobody" if _sandbox_uid() is not None else "the caller's uid"
    description = f"bwrap: user/pid/mount/net/ipc namespaces, uid {who}, read-only view, no capabilities"
    return Isolation(True, description, interpreter, binds)


def _as_sandbox_uid() -> dict:
    uid = _sandbox_uid()
    return {"user": uid, "group": uid, "extra_groups": []} if uid is not None else {}


def _work_dir(parent: Path) -> Path:
    """Owned by the sandbox uid; its parent only traversable (not listable) by others."""
    work = Path(tempfile.mkdtemp(prefix="candidate-", dir=parent))
    if _sandbox_uid() is not None:
        parent.chmod(0o711)
        os.chown(work, NOBODY, NOBODY)
    return work


# -- running a candidate against its tests ----------------------------------------------------------
def run_tests(
    program: str,
    test: str,
    entry_point: str,
    prompt: str = "",
    limits: SandboxLimits | None = None,
    policy: SandboxPolicy | None = None,
    reference_solution: str | None = None,
) -> TestOutcome:
    """`program` (the model's code) in the sandbox; `test` (defining `check(candidate)`) and
    `prompt` (helpers the tests use) in the harness, and the `reference_solution` too when there
    is one: the candidate must then also agree with it beyond the tests (`differential`)."""
    limits, policy = limits or SandboxLimits(), policy or SandboxPolicy()
    iso = isolation()
    if not iso.available and not policy.allow_weak_isolation:
        return TestOutcome("unavailable", f"not run: {iso.description}", 0.0, "none")
    tmp = Path(tempfile.mkdtemp(prefix="sandbox-"))
    try:
        work = _work_dir(tmp)
        for name in ("candidate_main.py", "plain_data.py"):
            shutil.copy(HERE / name, work / name)
        (work / "candidate.py").write_text(program, encoding="utf-8")
        spec = {"prompt": prompt, "test": test, "entry_point": entry_point, "reference_solution": reference_solution}
        return _supervise(iso, work, spec, limits)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _supervise(iso: Isolation, work: Path, spec: dict, limits: SandboxLimits) -> TestOutcome:
    to_candidate_r, to_candidate_w = os.pipe()
    from_candidate_r, from_candidate_w = os.pipe()
    info_r, info_w = os.pipe()  # bwrap tells the host pid of the sandbox's init here
    if iso.available:
        argv = _bwrap_argv(iso, work, limits, ["/work/candidate_main.py", str(from_candidate_w)], info_w)
        label = iso.description
    else:  # explicitly allowed: separate processes, limits and the audit hook, no namespaces
        argv = [*_prlimit(limits, own_uid=False), iso.interpreter, "-I", "-S", "-u", "candidate_main.py"]
        argv.append(str(from_candidate_w))
        label = f"WEAK (no namespaces: {iso.description})"
    start = time.monotonic()
    candidate = subprocess.Popen(
        argv, cwd=work, stdin=to_candidate_r, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        pass_fds=(from_candidate_w, info_w), start_new_session=True, env=_minimal_env(work),
        **(_as_sandbox_uid() if iso.available else {}),
    )  # fmt: skip
    harness = subprocess.Popen(
        [_harness_python(), "-I", "-S", str(HERE / "harness_main.py"), str(to_candidate_w), str(from_candidate_r)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        pass_fds=(to_candidate_w, from_candidate_r), start_new_session=True, env=_minimal_env(work),
    )  # fmt: skip
    for fd in (to_candidate_r, to_candidate_w, from_candidate_r, from_candidate_w, info_w):
        os.close(fd)
    try:
        spec = {**spec, "memory_mb": limits.memory_mb, "cpu_s": limits.cpu_s}
        with contextlib.suppress(BrokenPipeError):
            harness.stdin.write(json.dumps(spec).encode())  # type: ignore[union-attr]
            harness.stdin.close()  # type: ignore[union-attr]
        streams = _read_until_done(candidate, harness, start + limits.wall_s, limits)
    finally:
        _end_sandbox(candidate, info_r)
        _kill_group(harness)
    return _outcome(streams, time.monotonic() - start, label, limits)


def _end_sandbox(proc: subprocess.Popen, info_fd: int) -> None:
    """Kill the sandbox's init first: the kernel then kills and reaps everything in its PID
    namespace, and bwrap, seeing its child gone, exits for us to reap. Killing bwrap first would
    orphan the init to the host's PID 1, which in a container may never reap it (and the zombies
    count against the sandbox uid's process limit)."""
    try:
        ready, _, _ = select.select([info_fd], [], [], 0)
        info = json.loads(os.read(info_fd, 4096) or b"{}") if ready else {}
    except (OSError, ValueError):
        info = {}
    finally:
        os.close(info_fd)
    if "child-pid" in info:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(int(info["child-pid"]), signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
    _kill_group(proc)


@dataclass
class _Streams:
    kept: dict[str, bytearray]
    candidate_bytes: int = 0
    flood: bool = False
    timed_out: bool = False


def _read_until_done(
    candidate: subprocess.Popen, harness: subprocess.Popen, deadline: float, limits: SandboxLimits
) -> _Streams:
    """Read all four pipes as data comes, keeping the first `output_bytes` of each; stop when the
    harness is done, the candidate floods, or the wall clock runs out, whichever is first."""
    names = {candidate.stdout: "stdout", candidate.stderr: "stderr"}
    names.update({harness.stdout: "verdict", harness.stderr: "harness"})
    streams = _Streams({name: bytearray() for name in names.values()})
    open_ = {pipe for pipe in names if pipe is not None}
    harness_pipes = {harness.stdout, harness.stderr}
    drain_until = None  # once the harness is done: what the candidate already wrote, briefly
    while open_ and (open_ & harness_pipes or time.monotonic() < (drain_until or 0)):
        if not open_ & harness_pipes and drain_until is None:
            drain_until = min(deadline, time.monotonic() + 0.05)
            continue
        left = (drain_until or deadline) - time.monotonic()
        if left <= 0:
            streams.timed_out = drain_until is None
            break
        ready, _, _ = select.select(list(open_), [], [], left)
        for pipe in ready:
            chunk = os.read(pipe.fileno(), 1 << 16)
            if not chunk:
                open_.discard(pipe)
                continue
            name = names[pipe]
            cap = 1 << 20 if name == "verdict" else limits.output_bytes
            streams.kept[name] += chunk[: max(0, cap - len(streams.kept[name]))]
            if pipe in (candidate.stdout, candidate.stderr):
                streams.candidate_bytes += len(chunk)
        if streams.candidate_bytes > limits.flood_bytes:
            streams.flood = True
            break
    return streams


def _outcome(streams: _Streams, seconds: float, isolation: str, limits: SandboxLimits) -> TestOutcome:
    stdout = streams.kept["stdout"].decode(errors="replace")
    stderr = streams.kept["stderr"].decode(errors="replace")

    def result(status: Status, reason: str) -> TestOutcome:
        return TestOutcome(status, reason, seconds, isolation, stdout, stderr)

    if streams.flood:
        return result("reward_hacking", f"output flood: over {limits.flood_bytes:,} bytes on stdout/stderr")
    lines = streams.kept["verdict"].decode(errors="replace").strip().splitlines()
    if streams.timed_out or not lines:
        if streams.timed_out:
            return result("timeout", f"no verdict within {limits.wall_s:g}s")
        harness_error = (streams.kept["harness"].decode(errors="replace").strip().splitlines() or ["no verdict"])[-1]
        return result("error", f"the harness ended without a verdict: {harness_error[:200]}")
    verdict = json.loads(lines[-1])
    return result(verdict["status"], verdict["reason"])


def _harness_python() -> str:
    return os.path.realpath(getattr(sys, "_base_executable", sys.executable))


def _minimal_env(work: Path) -> dict[str, str]:
    """No API keys, no project paths: what the interpreter needs and nothing else."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(work), "PYTHONDONTWRITEBYTECODE": "1"}


def _kill_group(proc: subprocess.Popen) -> None:
    """bwrap dies, and with it (die-with-parent, its own PID namespace) everything it started."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()
