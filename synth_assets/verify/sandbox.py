"""Run a model's code where it can neither hurt the run nor decide its own verdict.

Two processes, nothing shared but two pipes of plain data:
- the **candidate** (`candidate_main.py`) runs the model's program and serves calls to its
  functions. It runs under bubblewrap (`bwrap`, Debian's package): new user, PID, mount,
  network, IPC and UTS namespaces, as an unprivileged uid on the host (nobody when we are root),
  no capabilities, no further user namespaces, a read-only view holding only the interpreter's
  files and read-only copies of ours in a size-capped tmpfs /work (no home, no project, no data,
  no /tmp sockets), and with `--die-with-parent` and its own PID namespace, all of its processes
  die with it. Its first process (`sandbox_init.py`) joins a memory and a pids cgroup of its own
  (`host_limits`: what it writes to tmpfs, shm or memfd is charged to it, and its process pool is
  its own), sets rlimits (CPU, address space, file size, open files) and reaps what ends under
  it. An audit hook inside is a second line;
- the **harness** (`harness_main.py`) runs the task's tests, calling the candidate through a
  proxy; every comparison happens there, on values it decoded itself.
Both outputs are read incrementally and capped (a flood is reported, not buffered), and the wall
clock holds even when something keeps a pipe open.

Where bwrap is missing or the kernel refuses namespaces, nothing is run and nothing passes,
unless weaker isolation (separate processes, limits, the audit hook) was explicitly allowed and
the refusal is permanent; a passing failure is asked again, never downgraded.
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
from pathlib import Path
from typing import Literal

from synth_assets.verify.host_limits import HostLimits, SandboxCgroups, probe, sweep_stale
from synth_assets.verify.printable import printable

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
    processes: int = 64  # per sandbox (a pids cgroup; per uid where there is none)
    work_mb: int = 64  # the candidate's /work, a tmpfs inside the sandbox (counted in its memory too)
    tmp_mb: int = 16  # its /tmp, likewise
    open_files: int = 256


@dataclass(frozen=True)
class SandboxPolicy:
    """`allow_weak_isolation`: run without namespaces where bwrap is unavailable (the verdicts
    then say so). Off by default: unisolated code does not get to pass."""

    allow_weak_isolation: bool = False
    count_weak_passes: bool = False  # a pass without namespaces counts as passed only when also set


@dataclass(frozen=True)
class TestOutcome:
    status: Status
    reason: str
    seconds: float
    isolation: str
    stdout: str = ""
    stderr: str = ""
    value: str | None = None  # `evaluate`: the repr of what the call returned (plain data only)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def summary(self) -> str:
        return f"{self.status} in {self.seconds:.2f}s: {self.reason} [{self.isolation}]"


NOT_PROBED = HostLimits(None, None, "not probed")


@dataclass(frozen=True)
class Isolation:
    available: bool
    description: str
    interpreter: str  # the Python the candidate runs under
    binds: tuple[str, ...]  # read-only paths it sees besides /usr
    permanent: bool = True  # for an unavailable one: will asking again not help? (no bwrap, no namespaces)
    host: HostLimits = NOT_PROBED


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


_SANDBOX_FILES = ("candidate_main.py", "plain_data.py", "candidate.py")  # what the candidate's /work holds


def _bwrap_argv(
    isolation: Isolation, files: Path, limits: SandboxLimits, command: list[str], info_fd: int | None = None
) -> list[str]:
    """The candidate's /work and /tmp are size-capped tmpfs inside the sandbox, holding read-only
    copies of our files: what it writes never reaches the host's disk, and nothing it makes is
    left for the caller to walk (1,900 nested directories once made clean-up recurse too deep)."""
    binds = [arg for path in isolation.binds for arg in ("--ro-bind", path, path)]
    ours = [arg for name in _SANDBOX_FILES if (files / name).exists() for arg in _ro_file(files / name)]
    info = ["--info-fd", str(info_fd)] if info_fd is not None else []
    return [
        "bwrap", *info, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
        "--uid", str(INSIDE_UID), "--gid", str(INSIDE_UID), "--cap-drop", "ALL",
        "--ro-bind", "/usr", "/usr", *_root_links(), *binds,
        "--size", str(limits.work_mb * 2**20), "--tmpfs", "/work", *ours,
        "--proc", "/proc", "--dev", "/dev", "--size", str(limits.tmp_mb * 2**20), "--tmpfs", "/tmp",
        "--chdir", "/work", "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/work",
        "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
        isolation.interpreter, "-I", "-S", "-u", *command,
    ]  # fmt: skip


def _ro_file(path: Path) -> list[str]:
    return ["--ro-bind", str(path), f"/work/{path.name}"]


def _launcher(
    iso: Isolation, files: Path, limits: SandboxLimits, cgroups: SandboxCgroups | None, command: list[str]
) -> list[str]:
    """`sandbox_init.py` (joins the cgroups, sets the rlimits, reaps) in front of `command`."""
    cpu, memory, written = limits.cpu_s, limits.memory_mb * 2**20, limits.file_mb * 2**20
    rlimits = {
        "RLIMIT_CPU": [cpu, cpu + 1],
        "RLIMIT_AS": [memory, memory],
        "RLIMIT_FSIZE": [written, written],
        "RLIMIT_CORE": [0, 0],
        "RLIMIT_NOFILE": [limits.open_files, limits.open_files],
    }
    if iso.host.pids is None and _sandbox_uid() is not None:  # per uid, shared by siblings: the fallback
        rlimits["RLIMIT_NPROC"] = [limits.processes, limits.processes]
    config = {"procs": cgroups.procs_files if cgroups else [], "rlimits": rlimits}
    return [iso.interpreter, "-I", "-S", str(files / "sandbox_init.py"), json.dumps(config), *command]


_PROBE_RETRY_S = 5.0
_probed: tuple[float, Isolation] | None = None
_TRANSIENT = ("resource temporarily unavailable", "cannot allocate memory", "no space left", "timed out")


def isolation(retry_after_s: float = _PROBE_RETRY_S) -> Isolation:
    """Is bwrap there, and does the kernel let it make namespaces? A success is kept for the
    process's life; a failure only for `retry_after_s`, so a probe that failed while process
    slots or memory were exhausted does not mark the process unavailable for good."""
    global _probed
    if _probed is not None and (_probed[1].available or time.monotonic() - _probed[0] < retry_after_s):
        return _probed[1]
    _probed = (time.monotonic(), _probe())
    return _probed[1]


def _probe() -> Isolation:
    interpreter, binds = _interpreter()
    host = probe()
    if shutil.which("bwrap") is None:
        return Isolation(False, "bwrap not found (Debian/Ubuntu: apt-get install bubblewrap)", interpreter, binds)
    sweep_stale(host)
    trial = Isolation(True, "", interpreter, binds, host=host)
    try:
        with tempfile.TemporaryDirectory(prefix="sandbox-probe-") as tmp:
            files = _files_dir(Path(tmp))
            command = _bwrap_argv(trial, files, SandboxLimits(), ["-c", "print('ok')"])
            argv = _launcher(trial, files, SandboxLimits(), None, command)
            out = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False, **_as_sandbox_uid())
    except (OSError, subprocess.SubprocessError) as exc:
        return Isolation(False, f"the sandbox probe could not run: {exc}", interpreter, binds, permanent=False)
    if out.returncode != 0 or out.stdout.strip() != "ok":
        reason = printable((out.stderr.strip().splitlines() or ["no output"])[-1], 200)
        transient = any(t in reason.lower() for t in _TRANSIENT)
        return Isolation(False, f"bwrap could not start a sandbox: {reason}", interpreter, binds, not transient, host)
    who = "nobody" if _sandbox_uid() is not None else "the caller's uid"
    description = (
        f"bwrap: user/pid/mount/net/ipc namespaces, uid {who}, read-only view, no capabilities; {host.describe()}"
    )
    return Isolation(True, description, interpreter, binds, host=host)


def _as_sandbox_uid() -> dict:
    uid = _sandbox_uid()
    return {"user": uid, "group": uid, "extra_groups": []} if uid is not None else {}


def _files_dir(parent: Path, program: str | None = None) -> Path:
    """Our files for one sandbox, owned by the caller and readable by the sandbox uid (which
    binds them read-only into its /work): nothing in here is ever written by a candidate."""
    files = Path(tempfile.mkdtemp(prefix="files-", dir=parent))
    for name in ("candidate_main.py", "plain_data.py", "sandbox_init.py"):
        shutil.copy(HERE / name, files / name)
    if program is not None:
        (files / "candidate.py").write_text(program, encoding="utf-8")
    parent.chmod(0o711)
    files.chmod(0o755)  # listable: Python's importer lists a directory before it imports from it
    for path in files.iterdir():
        path.chmod(0o644)
    return files


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
    spec = {"prompt": prompt, "test": test, "entry_point": entry_point, "reference_solution": reference_solution}
    return _run(program, spec, limits, policy)


def evaluate(
    program: str, entry_point: str, limits: SandboxLimits | None = None, policy: SandboxPolicy | None = None
) -> TestOutcome:
    """`entry_point()` of `program`, called in the sandbox: `value` is the repr of what it returned
    (built by the harness from plain data, so an object cannot choose its own repr), or None when
    it raised, looped past the limits, or returned something that is not plain data."""
    spec = {"prompt": "", "test": "", "entry_point": entry_point, "evaluate": True}
    return _run(program, spec, limits or SandboxLimits(), policy or SandboxPolicy())


def _run(program: str, spec: dict, limits: SandboxLimits, policy: SandboxPolicy) -> TestOutcome:
    iso = isolation()
    if not iso.available and not (policy.allow_weak_isolation and iso.permanent):
        transient = "" if iso.permanent else " (a passing failure: asked again in a few seconds)"
        return TestOutcome("unavailable", f"not run: {iso.description}{transient}", 0.0, "none")
    try:
        tmp = Path(tempfile.mkdtemp(prefix="sandbox-"))
    except OSError as exc:
        return TestOutcome("unavailable", f"not run: no sandbox could be prepared: {exc}", 0.0, "none")
    try:
        files = _files_dir(tmp, program)
        memory = limits.memory_mb * 2**20
        with SandboxCgroups(iso.host, memory, limits.processes, _sandbox_uid()) as cgroups:
            return _supervise(iso, files, spec, limits, cgroups)
    except OSError as exc:  # the host's trouble (no space, no process slots), not the candidate's
        return TestOutcome("unavailable", f"not run: the host could not run a sandbox: {exc}", 0.0, "none")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # only our files: the candidate wrote to its own tmpfs


def _supervise(iso: Isolation, files: Path, spec: dict, limits: SandboxLimits, cgroups: SandboxCgroups) -> TestOutcome:
    to_candidate_r, to_candidate_w = os.pipe()
    from_candidate_r, from_candidate_w = os.pipe()
    info_r, info_w = os.pipe()  # bwrap tells the host pid of the sandbox's init here
    if iso.available:
        command = _bwrap_argv(iso, files, limits, ["/work/candidate_main.py", str(from_candidate_w)], info_w)
        label = iso.description
    else:  # explicitly allowed: separate processes, limits and the audit hook, no namespaces
        command = [iso.interpreter, "-I", "-S", "-u", "candidate_main.py", str(from_candidate_w)]
        label = f"WEAK (no namespaces: {iso.description})"
    if cgroups.problem:
        label += f"; {cgroups.problem}"
    start = time.monotonic()
    candidate = subprocess.Popen(
        _launcher(iso, files, limits, cgroups, command), cwd=files, stdin=to_candidate_r, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, pass_fds=(from_candidate_w, info_w), start_new_session=True,
        env=_minimal_env(files), **_as_sandbox_uid(),
    )  # fmt: skip
    harness = subprocess.Popen(
        [_harness_python(), "-I", "-S", str(HERE / "harness_main.py"), str(to_candidate_w), str(from_candidate_r)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        pass_fds=(to_candidate_w, from_candidate_r), start_new_session=True, env=_minimal_env(files),
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
    return _outcome(streams, time.monotonic() - start, label, limits, cgroups.memory_report())


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


def _outcome(streams: _Streams, seconds: float, isolation: str, limits: SandboxLimits, memory: str = "") -> TestOutcome:
    """Everything the candidate could choose (its output, the messages of its exceptions in the
    harness's reason) leaves through `printable`: storable, showable, capped."""
    stdout = printable(streams.kept["stdout"].decode(errors="replace"), limits.output_bytes)
    stderr = printable(streams.kept["stderr"].decode(errors="replace"), limits.output_bytes)

    def result(status: Status, reason: str, value: str | None = None) -> TestOutcome:
        if memory and ("killed" in memory or "limit reached" in memory) and status != "passed":
            reason = f"{reason} ({memory})"
        shown = printable(value, limits.output_bytes) if value is not None else None
        return TestOutcome(status, printable(reason, 1_000), seconds, isolation, stdout, stderr, shown)

    if streams.flood:
        return result("reward_hacking", f"output flood: over {limits.flood_bytes:,} bytes on stdout/stderr")
    lines = streams.kept["verdict"].decode(errors="replace").strip().splitlines()
    if streams.timed_out or not lines:
        if streams.timed_out:
            return result("timeout", f"no verdict within {limits.wall_s:g}s")
        harness_error = (streams.kept["harness"].decode(errors="replace").strip().splitlines() or ["no verdict"])[-1]
        return result("error", f"the harness ended without a verdict: {harness_error[:200]}")
    verdict = json.loads(lines[-1])
    return result(verdict["status"], verdict["reason"], verdict.get("value"))


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
