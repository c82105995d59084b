"""A dataset card for each round's training files: the Hugging Face format (a YAML header with
configs, splits, license, task categories and size; then prose and tables), saying how the data
was made: experiment, regime, generator, the funnel, verification, the human share, the round's
collapse metrics, the lineage and the config hash."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"))


@dataclass(frozen=True)
class CardFacts:
    experiment: str
    regime: str
    round_: int
    generators: list[str]
    config_hash: str
    sft_rows: int
    dpo_pairs: int
    human_fraction: float
    funnel: Mapping[str, int] = field(default_factory=dict)
    verification: Mapping[str, Any] = field(default_factory=dict)
    collapse: Mapping[str, Any] = field(default_factory=dict)
    lineage: Mapping[str, Any] = field(default_factory=dict)
    recipes: Mapping[str, int] = field(default_factory=dict)  # rows of the mix per recipe ('human' for human rows)
    pair_sources: Mapping[str, int] = field(
        default_factory=dict
    )  # DPO pairs per source (verified, constitutional, ...)
    feedback: Mapping[str, Any] = field(default_factory=dict)  # ai_preferences' counts (preference_stats)
    agents: Mapping[str, Any] = field(default_factory=dict)  # agent_trajectories' counts (agent_stats)
    dialogues: int = 0  # complete multi-turn conversations in dialogue_sft


def _size(rows: int) -> str:
    return next((label for limit, label in SIZE_CATEGORIES if rows < limit), "n>1M")


def _header(facts: CardFacts) -> dict[str, Any]:
    configs = [{"config_name": "sft", "data_files": [{"split": "train", "path": "sft.parquet"}], "default": True}]
    if facts.dpo_pairs:
        configs.append({"config_name": "dpo", "data_files": [{"split": "train", "path": "dpo.parquet"}]})
    if facts.dialogues:
        configs.append(
            {"config_name": "dialogue_sft", "data_files": [{"split": "train", "path": "dialogue_sft.parquet"}]}
        )
    if facts.agents.get("in_agent_sft"):
        configs.append({"config_name": "agent_sft", "data_files": [{"split": "train", "path": "agent_sft.parquet"}]})
    return {
        "pretty_name": f"{facts.experiment} round {facts.round_} (synth-assets)",
        "license": "other",
        "license_name": "generator-and-seed-terms",
        "language": ["en"],
        "task_categories": ["text-generation"],
        "tags": ["synthetic", "synth-assets", f"regime-{facts.regime}"],
        "size_categories": [_size(facts.sft_rows + facts.dpo_pairs)],
        "configs": configs,
    }


def _table(values: Mapping[str, Any], key: str, value: str) -> str:
    rows = "".join(f"| {k} | {_cell(v)} |\n" for k, v in values.items())
    return f"| {key} | {value} |\n|---|---|\n{rows}" if values else "_none recorded_\n"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "n/a" if value != value else f"{value:.4g}"
    return str(value)


def dataset_card(facts: CardFacts) -> str:
    header = yaml.safe_dump(_header(facts), sort_keys=False, allow_unicode=True)
    lineage = facts.lineage
    chained = (
        f"{lineage.get('unbroken_rows', 0)} of {lineage.get('rows', 0)} rows chain back to human seed rows, "
        f"through {lineage.get('human_seed_ancestors', 0)} distinct seeds"
        if lineage
        else "not computed"
    )
    return f"""---
{header}---

# {facts.experiment}, round {facts.round_}

Synthetic instruction data made by [synth-assets](https://github.com/) round by round: experiment
`{facts.experiment}`, regime `{facts.regime}`, round {facts.round_}, written by
{", ".join(f"`{g}`" for g in facts.generators) or "human data only"}. Config hash
`{facts.config_hash}` (the experiment's settings that built this round).

- `sft`: {facts.sft_rows} conversations (`messages`), human share {facts.human_fraction:.1%}
- `dpo`: {facts.dpo_pairs} preference pairs (`prompt`, `chosen`, `rejected`)
- `dialogue_sft`: {facts.dialogues} multi-turn conversations (`messages`: a task, its answer, simulated
  follow-ups and their answers)
- Provenance: {chained}.

The generator's terms of use and the human seed data's licenses apply to this data.

## How the rows were made (rows of the mix per recipe)

{_table(facts.recipes, "recipe", "rows")}
## Preference pairs by source

`verified`: a trace that passed ground truth over one that failed; `constitutional`: a response
revised against a principle of the constitution (chosen) over the original; `ai_feedback`: the
feedback model's choice of two responses, asked in both orders.

{_table(facts.pair_sources, "source", "pairs")}
## AI feedback (critiques, revisions and labels asked this round)

{_table(facts.feedback, "statistic", "value")}
## Agent trajectories (`agent_sft`: finished, and passed or with nothing to check)

{_table(facts.agents, "statistic", "value")}
## The filter funnel (rows dropped by each step)

{_table(facts.funnel, "step", "rows")}
## Verification

{_table(facts.verification, "statistic", "value")}
## Collapse metrics of this round

{_table(facts.collapse, "metric", "value")}"""
