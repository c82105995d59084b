"""generated_instructions: new tasks written by the generator from sampled in-context examples."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import pandas as pd

from synth_assets.config.experiments import Experiment
from synth_assets.core.rows import nullable, prompt_hash
from synth_assets.core.seeding import derived_rng, derived_seed
from synth_assets.filters.text_rules import normalized
from synth_assets.generate.constraint_sampling import sample_constraints
from synth_assets.generate.roles import with_role
from synth_assets.generate.self_instruct import InContextExample, build_request, parse_continuation
from synth_assets.llm.base import Generation, GenerationRequest, ProgressFn, TextGenerator
from synth_assets.stages import schemas
from synth_assets.stages.row_frames import RowScope, frame
from synth_assets.stages.spec import Parent, StageResult, StageRun, StageSpec
from synth_assets.verify.constraints import ConstraintSpec, with_constraints, without_constraints

NAME = "generated_instructions"
ITEMS_PER_CALL_GUESS = 4
MAX_WAVES = 3


@dataclass
class GenerationStats:
    parsed: int = 0
    duplicates: int = 0
    failed_calls: int = 0
    parse_failures: int = 0
    constrained: int = 0  # general tasks given verifiable constraints
    skipped_families: list[str] = field(default_factory=list)


@dataclass
class _Writing:
    """One partition's generation: who writes, where rows go, what is already seen, the tallies."""

    exp: Experiment
    generator: TextGenerator
    scope: RowScope
    progress: ProgressFn | None
    seen: set[str]
    stats: GenerationStats = field(default_factory=GenerationStats)


def generate_instructions(
    pool: pd.DataFrame,
    exp: Experiment,
    scope: RowScope,
    generator: TextGenerator,
    progress: ProgressFn | None = None,
) -> tuple[pd.DataFrame, GenerationStats]:
    records = pool.to_dict("records")
    tasks = [without_constraints(r["instruction"], nullable(r.get("reference_answer"))) for r in records]
    seen = {normalized(t) for t in tasks}  # a pool task is seen however it was constrained
    writing = _Writing(exp, generator, scope, progress, seen)
    rows: list[dict] = []
    targets = {"general": exp.sizes.instructions_per_round, "math": exp.sizes.math_problems_per_round}
    for family, target in targets.items():
        examples = [  # shown without their constraints: the model writes tasks, constraints are ours
            InContextExample(r["id"], task) for r, task in zip(records, tasks, strict=True) if r["family"] == family
        ]
        if target and not examples:
            writing.stats.skipped_families.append(family)
            continue
        rows += _family(writing, family, target, examples)
    return frame(rows, schemas.GENERATED_INSTRUCTIONS), writing.stats


def _family(w: _Writing, family: str, target: int, examples: list[InContextExample]) -> list[dict]:
    """Waves of calls until `target` new distinct tasks or MAX_WAVES; each call has its own
    seeded example sample, so the result does not depend on how calls are scheduled."""
    out: list[dict] = []
    call_index = tasks = 0  # tasks: rows of `out` that are tasks, not failures (counted, not recounted)
    for _wave in range(MAX_WAVES):
        missing = target - tasks
        if missing <= 0:
            break
        calls = [_call(w, family, examples, call_index + i) for i in range(math.ceil(missing / ITEMS_PER_CALL_GUESS))]
        call_index += len(calls)
        results = w.generator.generate([r for _, r in calls], w.progress)
        for (shots, request), result in zip(calls, results, strict=True):
            items = parse_continuation(result, len(shots) + 1, w.generator.raw_continuation) if result.ok else []
            if not items:
                out.append(_failure_row(w, family, shots, request, result))
                continue
            for item in items:
                w.stats.parsed += 1
                key = normalized(item)
                if key in w.seen or tasks >= target:
                    w.stats.duplicates += key in w.seen
                    continue
                w.seen.add(key)
                out.append(_task_row(w, family, item, shots, request))
                tasks += 1
    return out


def _call(
    w: _Writing, family: str, examples: list[InContextExample], index: int
) -> tuple[list[InContextExample], GenerationRequest]:
    exp, cfg = w.exp, w.exp.generator
    shots = derived_rng(exp.seed, w.scope.round_, family, index).sample(
        examples, min(exp.sizes.in_context_examples, len(examples))
    )
    seed = derived_seed(exp.seed + cfg.seed, w.scope.round_, family, index, "gen")
    request = build_request(family, shots, cfg.instruction_max_tokens, cfg.temperature, cfg.top_p, seed)
    return shots, with_role(request, cfg)


def _task_row(w: _Writing, family: str, item: str, shots: list[InContextExample], request: GenerationRequest) -> dict:
    instruction, reference = item, None
    spec = _constraints_for(w, family, item)
    if spec is not None:
        instruction, reference = with_constraints(item, spec), spec.to_json()
        w.stats.constrained += 1
    content = {
        "family": family,
        "task_type": "math" if family == "math" else "generated",
        "instruction": instruction,
        "input": "",
        "reference_answer": reference,
    }
    return w.scope.row(
        [s.id for s in shots],
        content,
        {"failure": None},
        generator=w.generator.label,
        prompt_hash=prompt_hash(request.prompt),
    )


def _constraints_for(w: _Writing, family: str, item: str) -> ConstraintSpec | None:
    """A seeded share of new general tasks carry verifiable constraints (their ground truth);
    the draw depends on the task's text, not on call order."""
    cfg = w.exp.verify
    if family != "general" or cfg.constraint_share <= 0:
        return None
    rng = derived_rng(w.exp.seed, w.scope.round_, "constraints", normalized(item))
    if rng.random() >= cfg.constraint_share:
        return None
    return sample_constraints(item, rng, cfg.max_constraints)


def _failure_row(
    w: _Writing, family: str, shots: list[InContextExample], request: GenerationRequest, result: Generation
) -> dict:
    """A call that failed, or whose text held no task, stays visible as a row with the reason;
    `task_table` never passes it on."""
    if result.ok:
        w.stats.parse_failures += 1
        failure = f"parse: no numbered item in the output ({result.finish_reason}): {result.text[:120]!r}"
    else:
        w.stats.failed_calls += 1
        failure = f"call: {result.error}"
    content = {
        "family": family,
        "task_type": "failure",
        "instruction": "",
        "input": "",
        "reference_answer": None,
        "failure": f"{failure} [call seed {request.seed}]",
    }
    return w.scope.row(
        [s.id for s in shots], content, generator=w.generator.label, prompt_hash=prompt_hash(request.prompt)
    )


def _compute(run: StageRun) -> StageResult:
    with run.models.for_round(run["seed_set"]) as gen:
        df, stats = generate_instructions(
            run["seed_set"], run.experiment, run.scope, gen, run.progress("instruction generation")
        )
    for family in stats.skipped_families:
        run.log.warning(f"no '{family}' examples in the pool: no {family} tasks generated this round")
    return StageResult(df, {"generation": asdict(stats)})


STAGE = StageSpec(
    name=NAME,
    description="New tasks and math problems written Self-Instruct style from sampled pool examples; a share "
    "of the general tasks carry verifiable constraints (IFEval families) as their ground truth.",
    schema=schemas.GENERATED_INSTRUCTIONS,
    parents=(Parent("seed_set"),),
    compute=_compute,
    config=lambda exp: (exp.generator, exp.sizes, exp.seed, exp.verify.constraint_share, exp.verify.max_constraints),
    generates=True,
)
