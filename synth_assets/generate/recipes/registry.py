"""The recipes, by name: adding one is its module and one entry here (and its name in
`config.experiments.RecipeName`, which a test keeps equal to this registry)."""

from __future__ import annotations

from synth_assets.generate.recipes import code_grounded, curriculum, evol_instruct, persona, self_instruct
from synth_assets.generate.recipes.base import Recipe

RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (self_instruct.RECIPE, evol_instruct.RECIPE, persona.RECIPE, curriculum.RECIPE, code_grounded.RECIPE)
}
# The input tables recipes read (global, human-authored, lineage roots): Dagster inputs of the
# generated_instructions stage.
RECIPE_INPUTS: tuple[str, ...] = tuple(sorted({name for r in RECIPES.values() for name in r.inputs}))


def allot(shares: dict[str, float], total: int) -> dict[str, int]:
    """`total` tasks split by share, largest remainder first (ties by name), so the counts always
    add up to the total and do not depend on the order the shares are written in."""
    weight = sum(shares.values())
    exact = {name: total * share / weight for name, share in shares.items()}
    counts = {name: int(value) for name, value in exact.items()}
    rest = total - sum(counts.values())
    for name in sorted(exact, key=lambda n: (counts[n] - exact[n], n))[:rest]:
        counts[name] += 1
    return counts
