"""Per-sandbox limits on what the host pays, enforced by the kernel: a memory cgroup and a pids
cgroup for every sandbox.

`RLIMIT_AS` sees a process's address space only: files in a tmpfs (`/tmp`, `/dev/shm`, the
sandbox's root), `memfd_create` pages and shared memory are charged to nobody, and a candidate
held 2 GB of host memory that way in under a second. A memory cgroup charges those pages to the
sandbox that made them. `RLIMIT_NPROC` counts every process of a uid, so all sandboxes (running as
one uid) shared one pool and a candidate holding slots made its correct siblings fail; a pids
cgroup is a pool of its own per sandbox.

Cgroup v1 hierarchies (memory, pids) are used where the process may make cgroups under its own
(root in a container, as here). A cgroup v2 host needs a delegated subtree that this process is
not itself a member of; without one, or without permission, `probe()` says so and the sandbox
falls back to rlimits alone, which its isolation description states.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
_PREFIX = "synth-sandbox-"


@dataclass(frozen=True)
class HostLimits:
    """Where each controller's sandbox cgroups go, or why there are none."""

    memory: Path | None
    pids: Path | None
    why_not: str = ""

    def describe(self) -> str:
        memory = "memory cgroup per sandbox (tmpfs, shm and memfd pages counted)" if self.memory else ""
        pids = "pids cgroup per sandbox" if self.pids else ""
        missing = "" if self.memory and self.pids else f"; no cgroup for {self._missing()}: {self.why_not}"
        return ", ".join(p for p in (memory, pids) if p) + missing if (memory or pids) else missing[2:]

    def _missing(self) -> str:
        return " and ".join(name for name, path in (("memory", self.memory), ("processes", self.pids)) if not path)


def _own_v1_cgroup(controller: str, proc_cgroup: str) -> Path | None:
    """This process's cgroup in the v1 hierarchy of `controller` (`4:memory:/a/b` -> /sys/fs/cgroup/memory/a/b)."""
    for line in proc_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3 and controller in parts[1].split(","):
            mount = CGROUP_ROOT / parts[1]
            return mount / parts[2].lstrip("/") if mount.is_dir() else None
    return None


def _usable(base: Path) -> str | None:
    """None when a child cgroup can be made (and removed) under `base`, else why not."""
    probe = base / f"{_PREFIX}probe-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        probe.mkdir()
    except OSError as exc:
        return f"cannot make a cgroup under {base}: {exc.strerror}"
    with contextlib.suppress(OSError):
        probe.rmdir()
    return None


def probe() -> HostLimits:
    """Which per-sandbox cgroups this host lets us make."""
    try:
        proc_cgroup = Path("/proc/self/cgroup").read_text()
    except OSError as exc:
        return HostLimits(None, None, f"/proc/self/cgroup unreadable: {exc.strerror}")
    found: dict[str, Path | None] = {}
    reasons: list[str] = []
    for controller in ("memory", "pids"):
        base = _own_v1_cgroup(controller, proc_cgroup)
        if base is None:
            reasons.append(f"no cgroup v1 {controller} hierarchy (cgroup v2 needs a delegated subtree)")
        elif (why := _usable(base)) is not None:
            reasons.append(why)
            base = None
        found[controller] = base
    return HostLimits(found["memory"], found["pids"], "; ".join(dict.fromkeys(reasons)))


@dataclass
class SandboxCgroups:
    """One sandbox's cgroups: made with their limits, joined by the sandbox's first process (its
    `procs_files`, writable by the sandbox uid), read for what happened, then emptied and removed.
    Nothing here raises: a cgroup that cannot be made leaves the sandbox on rlimits, and says so."""

    limits: HostLimits
    memory_bytes: int
    processes: int
    owner: int | None  # the uid that joins (the sandbox's), or None for the caller's
    made: list[Path] | None = None
    problem: str = ""

    def __enter__(self) -> SandboxCgroups:
        self.made = []
        name = f"{_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:12]}"
        settings = {
            self.limits.memory: {
                "memory.limit_in_bytes": self.memory_bytes,
                "memory.memsw.limit_in_bytes": self.memory_bytes,  # no escape into swap (where swap is accounted)
                "memory.swappiness": 0,
            },
            self.limits.pids: {"pids.max": self.processes},
        }
        for base, values in settings.items():
            if base is None:
                continue
            try:
                path = base / name
                path.mkdir()
                self.made.append(path)
                for file, value in values.items():
                    if (path / file).exists():
                        (path / file).write_text(str(value))
                if self.owner is not None:
                    os.chown(path / "cgroup.procs", self.owner, self.owner)
            except OSError as exc:
                self.problem = f"cgroup {base.name}: {exc.strerror}"
        return self

    @property
    def procs_files(self) -> list[str]:
        return [str(path / "cgroup.procs") for path in self.made or []]

    def memory_report(self) -> str:
        """What the memory cgroup saw: its peak and whether it had to refuse or kill."""
        memory = next((p for p in self.made or [] if p.parent == self.limits.memory), None)
        if memory is None:
            return ""
        peak = _read_int(memory / "memory.max_usage_in_bytes")
        failures = _read_int(memory / "memory.failcnt")
        oom = _oom_kills(memory)
        hit = f", limit reached {failures} times" if failures else ""
        killed = f", {oom} process(es) killed for memory" if oom else ""
        return f"memory peak {peak / 2**20:.0f} MB of {self.memory_bytes / 2**20:.0f} MB{hit}{killed}"

    def __exit__(self, *exc: object) -> None:
        for path in reversed(self.made or []):
            _empty_and_remove(path)


def _read_int(path: Path) -> int:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def _oom_kills(memory: Path) -> int:
    try:
        for line in (memory / "memory.oom_control").read_text().splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _empty_and_remove(path: Path, patience_s: float = 2.0) -> None:
    """Kill what is left in the cgroup, then remove it (a cgroup with members cannot be)."""
    deadline = time.monotonic() + patience_s
    while True:
        try:
            pids = [int(p) for p in (path / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            pids = []
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        try:
            path.rmdir()
            return
        except OSError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.01)


def sweep_stale(limits: HostLimits) -> int:
    """Remove sandbox cgroups that a killed verifier left behind (their owner pid is gone)."""
    removed = 0
    for base in (limits.memory, limits.pids):
        if base is None:
            continue
        for path in base.glob(f"{_PREFIX}*"):
            owner = path.name.removeprefix(_PREFIX).split("-")[0]
            if owner.isdigit() and not Path(f"/proc/{owner}").exists():
                _empty_and_remove(path)
                removed += 1
    return removed
