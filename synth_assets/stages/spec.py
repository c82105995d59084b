"""What a stage declares about itself, once: the vocabulary the asset factory, the blocking
checks, the lineage map and the `lineage_nodes` model are all derived from.

A stage is a module in `synth_assets.stages` that exports `STAGE = StageSpec(...)`; adding one
to the pipeline is that module plus its entry in `stages.registry.PIPELINE`. Nothing here
imports Dagster's runtime: a stage's `compute` is a plain function of a `StageRun`, so it is
tested with DataFrames and a real or fake generator, and Dagster only supplies the inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

import dagster as dg
import pandas as pd

from synth_assets.config.experiments import Experiment
from synth_assets.core.rows import content_hash
from synth_assets.llm.base import ProgressFn
from synth_assets.stages.row_frames import RowScope


@dataclass(frozen=True)
class Parent:
    """An upstream table a stage's rows point at through `parent_ids`."""

    stage: str
    round_offset: int = 0  # -1: the previous round of the same experiment, read through storage
    kept_only: bool = False  # only the parent's rows with `kept` set
    partitioned: bool = True  # False: a global table (the human data)
    first_round_only: bool = False  # a parent of round 0 only (later rounds start from the last mix)
    same_table: bool = False  # rows of the stage's own partition (an evolved task's parent task)

    def applies_to(self, round_: int) -> bool:
        return round_ + self.round_offset >= 0 and not (self.first_round_only and round_ > 0)

    @property
    def is_input(self) -> bool:
        """Same-round and global parents are Dagster inputs; the previous round cannot be one
        (final_mix -> seed_set would be a cycle) and is read through storage instead."""
        return self.round_offset == 0 and not self.same_table


class Sessions(Protocol):
    """The models a stage may call; each session is a context manager that closes its backend."""

    def for_round(self, pool: pd.DataFrame) -> AbstractContextManager[Any]: ...

    def for_role(self, role: str) -> AbstractContextManager[Any]: ...

    def embedder(self) -> AbstractContextManager[Any]: ...


class StageLog(Protocol):
    def info(self, msg: str) -> None: ...

    def warning(self, msg: str) -> None: ...


@dataclass
class StageRun:
    """Everything one partition of a stage reads: its experiment, where its rows are made (stage,
    partition and run, as `scope`), its parents' DataFrames, the previous round (through
    `previous`), the models, a log and progress."""

    experiment: Experiment
    scope: RowScope
    inputs: Mapping[str, pd.DataFrame]
    log: StageLog
    previous: Callable[[str], pd.DataFrame] = field(repr=False)
    sessions: Sessions | None = field(default=None, repr=False)
    progress: Callable[[str], ProgressFn | None] = field(default=lambda what: None, repr=False)

    def __getitem__(self, parent: str) -> pd.DataFrame:
        return self.inputs[parent]

    @property
    def round_(self) -> int:
        return self.scope.round_

    @property
    def models(self) -> Sessions:
        if self.sessions is None:
            raise RuntimeError("this stage was given no models: declare it with `generates`, `judges` or `embeds` set")
        return self.sessions


@dataclass(frozen=True)
class Markdown:
    text: str


@dataclass(frozen=True)
class Preview:
    rows: pd.DataFrame
    columns: tuple[str, ...] | None = None
    limit: int = 20


# Metadata values a stage reports, kept free of Dagster: numbers and text as they are, a
# mapping as a two-column table, `Markdown` and `Preview` as what they say.
MetadataValue = int | float | str | Mapping[str, Any] | Markdown | Preview


@dataclass
class StageResult:
    rows: pd.DataFrame
    metadata: dict[str, MetadataValue] = field(default_factory=dict)


@dataclass(frozen=True)
class StageSpec:
    name: str
    description: str
    schema: dg.TableSchema
    parents: tuple[Parent, ...]
    compute: Callable[[StageRun], StageResult]
    config: Callable[[Experiment], Any]  # the part of an experiment's config the stage reads
    reads: tuple[str, ...] = ()  # further same-round or global tables it reads but does not descend from
    generates: bool = False  # calls the generator: shares the generation pool, shows the backend
    judges: bool = False  # may call the experiment's judge model
    embeds: bool = False  # may call the experiment's embedding model

    @property
    def needs_models(self) -> bool:
        return self.generates or self.judges or self.embeds

    @property
    def inputs(self) -> tuple[str, ...]:
        """The Dagster inputs: parents of this round or global, and what it reads."""
        names = [p.stage for p in self.parents if p.is_input] + list(self.reads)
        return tuple(dict.fromkeys(names))

    def parents_of_round(self, round_: int) -> tuple[Parent, ...]:
        return tuple(p for p in self.parents if p.applies_to(round_))

    def config_hash(self, exp: Experiment) -> str:
        return content_hash(self.config(exp), length=12)

    def code_version(self, experiments: list[Experiment]) -> str:
        """The source that decides the stage's rows (its module and the logic it imports, see
        `code_version`) and the config every experiment gives this stage: edit either and Dagster
        marks the stage's partitions changed (a per-asset version, so one experiment's edit flags
        the others' partitions too; `config_hash` per partition says which experiment's config
        actually built it)."""
        from synth_assets.stages.code_version import sources

        return content_hash(sources(self.compute.__module__), {e.name: self.config(e) for e in experiments}, length=12)
