"""What every recipe gets and gives back, free of Dagster and of row building: a recipe reads a
`RecipeContext` (the experiment, the round, the pool's tasks of one family, the generator) and
returns `Draft`s, which the `generated_instructions` stage turns into rows with the contract.

A draft names its parents: pool rows by id, or drafts of the same call (an evolved task's parent
is the task it evolved from), so lineage stays row-level however many steps a recipe takes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from synth_assets.config.experiments import Experiment
from synth_assets.core.callbacks import ProgressFn
from synth_assets.filters.text_rules import normalized
from synth_assets.generate.self_instruct import InContextExample
from synth_assets.llm.base import Generation, TextGenerator


@dataclass(frozen=True, eq=False)
class Draft:
    """A task, or a visible failure (`failure` set: a call that failed, an answer that held no
    task, an evolution the recipe's rules eliminated). Compared by identity: a draft is a parent."""

    recipe: str
    family: str
    instruction: str
    parents: tuple[str | Draft, ...]
    prompt: str
    params: Mapping[str, Any] = field(default_factory=dict)
    failure: str | None = None
    input: str = ""  # what the task works on (a curriculum exercise's lesson, a function's source)
    reference: str | None = None  # ground truth the recipe established (a value running code gave)

    @property
    def is_task(self) -> bool:
        return self.failure is None


@dataclass(frozen=True)
class PersonaRow:
    """A persona to write as: its id (the file's, or `grown-<hash>`), its text, the row it stands
    for in lineage (the `personas` row, or the pool task it was grown from) and its source."""

    id: str
    text: str
    parent: str
    source: str = "shipped"


@dataclass
class RecipeContext:
    exp: Experiment
    round_: int
    family: str
    examples: list[InContextExample]  # the pool's tasks of this family, shown without constraints
    generator: TextGenerator
    seen: set[str]  # normalised tasks already in the pool or written this round
    progress: ProgressFn | None = None
    inputs: Mapping[str, pd.DataFrame] = field(default_factory=dict)  # input tables a recipe reads (personas, ...)
    parsed: int = 0
    duplicates: int = 0

    def accept(self, text: str) -> bool:
        """A task is new if its normalised text is not yet seen; it is then seen."""
        self.parsed += 1
        key = normalized(text)
        if not key or key in self.seen:
            self.duplicates += bool(key)
            return False
        self.seen.add(key)
        return True


def new_tasks(
    ctx: RecipeContext,
    recipe: str,
    items: list[str],
    room: int,
    call: tuple[tuple[str | Draft, ...], str, Mapping[str, Any]],
) -> list[Draft]:
    """Drafts for a call's items that are new (not in the pool, not yet written), at most `room`;
    when there was room and every item was already seen, one row that says so, so a call never
    vanishes without a trace. `call` is (parents, prompt, params)."""
    parents, prompt, params = call
    kept: list[str] = []
    for item in items:
        if len(kept) < room and ctx.accept(item):
            kept.append(item)
    if kept or room <= 0:
        return [Draft(recipe, ctx.family, item, parents, prompt, dict(params)) for item in kept]
    failure = f"duplicate: all {len(items)} tasks it wrote were already in the pool or written this round"
    return [Draft(recipe, ctx.family, "", parents, prompt, dict(params), failure=failure)]


def input_records(df: pd.DataFrame | None, columns: list[str], order: list[str] | None = None) -> list[tuple]:
    """An input table's rows as tuples of `columns` (sorted by `order`, stably); none when the
    experiment's stage was not given the table."""
    if df is None or df.empty:
        return []
    rows = df.sort_values(order, kind="stable") if order else df
    return list(rows[columns].itertuples(index=False, name=None))


def call_failure(
    recipe: str,
    family: str,
    parents: tuple[str | Draft, ...],
    prompt: str,
    result: Generation,
    what: str,
    params: Mapping[str, Any] | None = None,
) -> Draft:
    """The row that says why a call made no task: `call: <error>` or `parse: <what>`."""
    reason = (
        f"call: {result.error}" if not result.ok else f"parse: {what} ({result.finish_reason}): {result.text[:120]!r}"
    )
    return Draft(recipe, family, "", parents, prompt, dict(params or {}), failure=reason)


@dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    families: tuple[str, ...]  # the task families it can write
    write: Callable[[RecipeContext, int], list[Draft]]  # (context, target task count) -> drafts
    inputs: tuple[str, ...] = ()  # input tables it reads from `RecipeContext.inputs`
