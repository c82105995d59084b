"""Where each stage's parents live: the single map the asset checks and audits rely on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Upstream:
    table: str
    round_offset: int = 0  # -1: the previous round of the same experiment
    kept_only: bool = False
    partitioned: bool = True


UPSTREAM: dict[str, tuple[Upstream, ...]] = {
    "generated_instructions": (Upstream("seed_set"),),
    "cot_traces": (Upstream("generated_instructions"), Upstream("seed_set")),
    "verified_traces": (Upstream("cot_traces"),),
    "filtered_set": (Upstream("verified_traces"),),
    "final_mix": (
        Upstream("filtered_set", kept_only=True),
        Upstream("human_seeds", partitioned=False),
        Upstream("final_mix", round_offset=-1),
    ),
}


def seed_set_upstream(round_: int) -> tuple[Upstream, ...]:
    return (Upstream("human_seeds", partitioned=False),) if round_ == 0 else (Upstream("final_mix", -1),)


def upstreams(stage: str, round_: int) -> tuple[Upstream, ...]:
    return seed_set_upstream(round_) if stage == "seed_set" else UPSTREAM.get(stage, ())


def upstream_query(up: Upstream, experiment: str, round_: int) -> tuple[str, list[object]] | None:
    """SQL for the ids a row of (experiment, round) may point at in one upstream table."""
    target = round_ + up.round_offset
    if target < 0:
        return None
    if not up.partitioned:
        return f"select id from main.{up.table}", []
    kept = " and kept" if up.kept_only else ""
    return f"select id from main.{up.table} where experiment = ? and round = ?{kept}", [experiment, target]
