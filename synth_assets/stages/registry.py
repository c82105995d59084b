"""The pipeline: every stage of a round, in order. Adding a stage is its module and one entry here;
the assets, their checks, the lineage map and the `lineage_nodes` model follow from this list."""

from __future__ import annotations

from synth_assets.stages import (
    agent_trajectories,
    ai_preferences,
    cot_traces,
    dialogues,
    filtered_set,
    final_mix,
    generated_instructions,
    preference_pairs,
    seed_set,
    verified_traces,
)
from synth_assets.stages.spec import StageSpec

PIPELINE: tuple[StageSpec, ...] = (
    seed_set.STAGE,
    generated_instructions.STAGE,
    cot_traces.STAGE,
    agent_trajectories.STAGE,
    verified_traces.STAGE,
    filtered_set.STAGE,
    final_mix.STAGE,
    ai_preferences.STAGE,
    dialogues.STAGE,
    preference_pairs.STAGE,
)
STAGES: tuple[str, ...] = tuple(s.name for s in PIPELINE)


def pipeline() -> tuple[StageSpec, ...]:
    """The list as it is now: everything derived reads it through here, at build time."""
    return PIPELINE


def stage(name: str) -> StageSpec | None:
    return next((s for s in pipeline() if s.name == name), None)
