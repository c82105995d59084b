"""The Dagster instance a new user gets: `dagster.yaml` in DAGSTER_HOME, sized to the machine.

Without it Dagster launches every queued run at once: a backfill of all partitions from the UI
started five runs on two cores, each with its own llama.cpp workers, and took 400 s a partition.
With it the queue runs as many partitions as there are cores, one generating step at a time holds
the `llm_generation` pool (the model's workers already use every core), and the daemon dequeues
every second instead of every five. An existing file is never overwritten.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from synth_assets.config.settings import POSTGRES_URL

GENERATION_POOL_LIMIT = 1


# Rounds of one experiment build on each other: two runs of it at once would race for the same
# previous round. The shared profile lets each experiment have one run at a time, on any host.
ONE_RUN_PER_EXPERIMENT = {
    "key": "dagster/partition/experiment",
    "value": {"applyLimitPerUniqueValue": True},
    "limit": 1,
}


def instance_config(cores: int | None = None, shared: bool = False) -> dict:
    """`shared`: runs, event logs and schedules in PostgreSQL (every host, the webserver and the
    daemon see one instance), at most one run per experiment at a time, and the generation
    pool as wide as the queue (each run has its host to itself)."""
    config = _local_config(cores)
    if shared:
        config["storage"] = {"postgres": {"postgres_url": {"env": POSTGRES_URL}}}
        config["concurrency"]["runs"]["tag_concurrency_limits"] = [ONE_RUN_PER_EXPERIMENT]
        # runs land on different hosts: one generating step per machine is not one per cluster.
        # The pool stays, as wide as the queue; narrow it (`dagster instance concurrency set
        # llm_generation N`) to share one provider's rate limit between runs.
        config["concurrency"]["pools"]["default_limit"] = config["concurrency"]["runs"]["max_concurrent_runs"]
    return config


def _local_config(cores: int | None) -> dict:
    cores = cores or os.cpu_count() or 1
    return {
        "telemetry": {"enabled": False},
        "run_coordinator": {
            "module": "dagster._core.run_coordinator",
            "class": "QueuedRunCoordinator",
            "config": {"dequeue_interval_seconds": 1},
        },
        "concurrency": {
            "runs": {"max_concurrent_runs": max(1, cores)},
            # the only pool is `llm_generation`: one generating step at a time on this machine
            "pools": {"default_limit": GENERATION_POOL_LIMIT},
        },
        # a run worker that dies (OOM, SIGKILL) is marked failed instead of "started" forever
        "run_monitoring": {"enabled": True, "poll_interval_seconds": 30},
    }


def ensure_instance_config(home: Path, cores: int | None = None, shared: bool = False) -> bool:
    """Write `home/dagster.yaml` unless the user has one; True if it was written."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "dagster.yaml"
    if path.exists():
        return False
    header = "# Written by synth-assets for this machine; edit freely, it is never overwritten.\n"
    path.write_text(header + yaml.safe_dump(instance_config(cores, shared), sort_keys=False))
    return True


def create_storage(home: Path) -> None:
    """Open the instance once so its storage exists before the webserver, the daemon and their
    code servers start together: each of them creates a missing SQLite schedule database on its
    own, and two that stamp its schema at once leave two alembic heads, after which every one of
    them fails to load the code location (seen in a test run under load; dagster issue #27390)."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.get_runs(limit=1)
        instance.schedule_storage  # noqa: B018 (created when first read)
        instance.event_log_storage  # noqa: B018
