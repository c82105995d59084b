"""generated_instructions: new tasks written by the generator from sampled in-context examples."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import pandas as pd

from synth_assets.config.experiments import Experiment
from synth_assets.core.rows import nullable, prompt_hash
from synth_assets.core.seeding import derived_rng
from synth_assets.filters.text_rules import normalized
from synth_assets.generate.constraint_sampling import sample_constraints
from synth_assets.generate.recipes.base import Draft, RecipeContext
from synth_assets.generate.recipes.registry import RECIPE_INPUTS, RECIPES, allot
from synth_assets.generate.self_instruct import InContextExample
from synth_assets.llm.base import ProgressFn, TextGenerator
from synth_assets.stages import schemas
from synth_assets.stages.row_frames import RowScope, frame
from synth_assets.stages.spec import Parent, StageResult, StageRun, StageSpec
from synth_assets.verify.constraints import ConstraintSpec, with_constraints, without_constraints

NAME = "generated_instructions"


@dataclass
class GenerationStats:
    parsed: int = 0
    duplicates: int = 0
    failed_calls: int = 0
    parse_failures: int = 0
    eliminated: int = 0  # evolutions a recipe's rules eliminated (Evol-Instruct)
    constrained: int = 0  # general tasks given verifiable constraints
    by_recipe: dict[str, int] = field(default_factory=dict)  # tasks written per recipe
    skipped_families: list[str] = field(default_factory=list)


def recipe_plan(exp: Experiment) -> list[tuple[str, str, int]]:
    """(family, recipe, tasks): general tasks split over the experiment's recipes by share; math
    problems are Self-Instruct's."""
    general = allot(dict(exp.recipes), exp.sizes.instructions_per_round)
    plan = [("general", name, n) for name, n in sorted(general.items()) if n]
    math = exp.sizes.math_problems_per_round
    return [*plan, *([("math", "self_instruct", math)] if math else [])]


def generate_instructions(
    pool: pd.DataFrame,
    exp: Experiment,
    scope: RowScope,
    generator: TextGenerator,
    progress: ProgressFn | None = None,
    inputs: Mapping[str, pd.DataFrame] | None = None,
) -> tuple[pd.DataFrame, GenerationStats]:
    """`inputs`: the input tables the experiment's recipes read (`personas`, `curriculum`)."""
    records = pool.to_dict("records")
    tasks = [without_constraints(r["instruction"], nullable(r.get("reference_answer"))) for r in records]
    seen = {normalized(t) for t in tasks}  # a pool task is seen however it was constrained
    stats, drafts = GenerationStats(), []
    for family, name, target in recipe_plan(exp):
        examples = [  # shown without their constraints: the model writes tasks, constraints are ours
            InContextExample(r["id"], task) for r, task in zip(records, tasks, strict=True) if r["family"] == family
        ]
        if not target or not examples:
            if target and family not in stats.skipped_families:
                stats.skipped_families.append(family)
            continue
        ctx = RecipeContext(exp, scope.round_, family, examples, generator, seen, progress, dict(inputs or {}))
        drafts += RECIPES[name].write(ctx, target)
        stats.parsed += ctx.parsed
        stats.duplicates += ctx.duplicates
    return frame(_rows(drafts, exp, scope, generator.label, stats), schemas.GENERATED_INSTRUCTIONS), stats


def _rows(drafts: list[Draft], exp: Experiment, scope: RowScope, label: str, stats: GenerationStats) -> list[dict]:
    """Drafts in order (a parent draft always before its children), each parent draft by its row id."""
    ids: dict[int, str] = {}
    rows = []
    for d in drafts:
        parents = [ids[id(p)] if isinstance(p, Draft) else p for p in d.parents]
        row = _task_row(d, exp, scope, parents, label, stats) if d.is_task else _failure_row(d, scope, parents, label)
        _count(d, stats)
        ids[id(d)] = row["id"]
        rows.append(row)
    return rows


def _count(d: Draft, stats: GenerationStats) -> None:
    if d.is_task:
        stats.by_recipe[d.recipe] = stats.by_recipe.get(d.recipe, 0) + 1
    elif d.failure and d.failure.startswith("call:"):
        stats.failed_calls += 1
    elif d.failure and d.failure.startswith("parse:"):
        stats.parse_failures += 1
    elif d.failure and d.failure.startswith("duplicate:"):
        pass  # its tasks are counted in `duplicates`
    else:
        stats.eliminated += 1


def _task_row(
    d: Draft, exp: Experiment, scope: RowScope, parents: list[str], label: str, stats: GenerationStats
) -> dict:
    instruction, reference = d.instruction, d.reference
    spec = _constraints_for(exp, scope.round_, d.family, d.instruction)
    if spec is not None:
        instruction, reference = with_constraints(d.instruction, spec), spec.to_json()
        stats.constrained += 1
    content = {
        "family": d.family,
        "task_type": d.family if d.family in ("math", "code_output") else "generated",
        "instruction": instruction,
        "input": d.input,
        "reference_answer": reference,
        "recipe": d.recipe,
    }
    extra = {"failure": None, "recipe_params": _params(d)}
    return scope.row(parents, content, extra, generator=label, prompt_hash=prompt_hash(d.prompt))


def _params(d: Draft) -> str | None:
    return json.dumps(dict(d.params), sort_keys=True) if d.params else None


def _constraints_for(exp: Experiment, round_: int, family: str, item: str) -> ConstraintSpec | None:
    """A seeded share of new general tasks carry verifiable constraints (their ground truth);
    the draw depends on the task's text, not on call order."""
    cfg = exp.verify
    if family != "general" or cfg.constraint_share <= 0:
        return None
    rng = derived_rng(exp.seed, round_, "constraints", normalized(item))
    if rng.random() >= cfg.constraint_share:
        return None
    return sample_constraints(item, rng, cfg.max_constraints)


def _failure_row(d: Draft, scope: RowScope, parents: list[str], label: str) -> dict:
    """A call that failed, an answer that held no task, an evolution the rules eliminated: a row
    with the reason, which `task_table` never passes on."""
    content = {
        "family": d.family,
        "task_type": "failure",
        "instruction": "",
        "input": "",
        "reference_answer": None,
        "recipe": d.recipe,
        "failure": d.failure,
    }
    return scope.row(
        parents, content, {"recipe_params": _params(d)}, generator=label, prompt_hash=prompt_hash(d.prompt)
    )


def _compute(run: StageRun) -> StageResult:
    with run.models.for_round(run["seed_set"]) as gen:
        df, stats = generate_instructions(
            run["seed_set"],
            run.experiment,
            run.scope,
            gen,
            run.progress("instruction generation"),
            {name: run[name] for name in RECIPE_INPUTS},
        )
    for family in stats.skipped_families:
        run.log.warning(f"no '{family}' examples in the pool: no {family} tasks generated this round")
    counts = {k: v for k, v in asdict(stats).items() if k != "by_recipe"}
    return StageResult(df, {"generation": counts, "tasks_by_recipe": stats.by_recipe})


STAGE = StageSpec(
    name=NAME,
    description="New tasks and math problems, written by the experiment's recipes (Self-Instruct from sampled "
    "pool examples, Evol-Instruct chains, ...); a share of the general tasks carry verifiable constraints "
    "(IFEval families) as their ground truth. An evolved task's parent is the task it evolved from.",
    schema=schemas.GENERATED_INSTRUCTIONS,
    parents=(
        Parent("seed_set"),
        *(Parent(name, partitioned=False) for name in RECIPE_INPUTS),
        Parent(NAME, same_table=True),
    ),
    compute=_compute,
    config=lambda exp: (
        exp.generator,
        exp.sizes,
        exp.seed,
        exp.verify.constraint_share,
        exp.verify.max_constraints,
        exp.recipes,
        exp.evol_instruct if "evol_instruct" in exp.recipes else None,
        exp.persona if "persona" in exp.recipes else None,
        exp.code_grounded if "code_grounded" in exp.recipes else None,
    ),
    generates=True,
)
