"""A throwaway PostgreSQL cluster on a free loopback port, for tests and benchmarks that need
the production profile: started from the Debian server binaries, removed when done.

Run as root, the cluster belongs to the `postgres` user (initdb refuses root)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN_ROOT = Path("/usr/lib/postgresql")


def server_bin() -> Path | None:
    versions = sorted(BIN_ROOT.glob("*/bin/pg_ctl")) if BIN_ROOT.exists() else []
    found = versions[-1].parent if versions else None
    if found is None and shutil.which("pg_ctl"):
        found = Path(shutil.which("pg_ctl")).parent  # type: ignore[arg-type]
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def throwaway_postgres(database: str = "synth") -> Iterator[str]:
    """Yields a libpq URL (postgresql://user@127.0.0.1:port/database) with trust auth."""
    bin_dir = server_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries not found (Debian: apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="synth-pg-"))
    data = root / "data"
    user = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = _free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "check": True}
    subprocess.run(_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", user]), **quiet)
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    log = root / "server.log"
    start = [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"]
    try:
        subprocess.run(_as_owner(start), **quiet)
        createdb = [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", user, database]
        subprocess.run(_as_owner(createdb), **quiet)
        yield f"postgresql://{user}@127.0.0.1:{port}/{database}"
    finally:
        subprocess.run(
            _as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        shutil.rmtree(root, ignore_errors=True)


def new_database(url: str, name: str) -> str:
    """Another database in the same cluster (a DuckLake catalog keeps one data path for good)."""
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'create database "{name}"')
    conn.close()
    return url.rsplit("/", 1)[0] + "/" + name
