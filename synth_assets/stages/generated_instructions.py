"""generated_instructions: new tasks written by the generator from sampled in-context examples."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from synth_assets.experiments import Experiment
from synth_assets.filters.text_rules import normalized
from synth_assets.generate.roles import with_role
from synth_assets.generate.sampling import derived_rng, derived_seed
from synth_assets.generate.self_instruct import InContextExample, build_request, parse_continuation
from synth_assets.llm.base import Generation, GenerationRequest, ProgressFn, TextGenerator
from synth_assets.rows import prompt_hash
from synth_assets.stages._rows import frame, make_row

ITEMS_PER_CALL_GUESS = 4
MAX_WAVES = 3


@dataclass
class GenerationStats:
    parsed: int = 0
    duplicates: int = 0
    failed_calls: int = 0
    parse_failures: int = 0
    skipped_families: list[str] = field(default_factory=list)


def generate_instructions(
    pool: pd.DataFrame,
    exp: Experiment,
    round_: int,
    generator: TextGenerator,
    run_id: str,
    progress: ProgressFn | None = None,
) -> tuple[pd.DataFrame, GenerationStats]:
    stats = GenerationStats()
    seen = {normalized(t) for t in pool["instruction"]}
    rows: list[dict] = []
    targets = {"general": exp.sizes.instructions_per_round, "math": exp.sizes.math_problems_per_round}
    for family, target in targets.items():
        examples = [
            InContextExample(r["id"], r["instruction"]) for r in pool[pool["family"] == family].to_dict("records")
        ]
        if target and not examples:
            stats.skipped_families.append(family)
            continue
        rows += _family(family, target, examples, exp, round_, generator, run_id, seen, stats, progress)
    return frame(rows, "GENERATED_INSTRUCTIONS"), stats


def _family(
    family: str,
    target: int,
    examples: list[InContextExample],
    exp: Experiment,
    round_: int,
    generator: TextGenerator,
    run_id: str,
    seen: set[str],
    stats: GenerationStats,
    progress: ProgressFn | None,
) -> list[dict]:
    """Waves of calls until `target` new distinct tasks or MAX_WAVES; each call has its own
    seeded example sample, so the result does not depend on how calls are scheduled."""
    cfg, k = exp.generator, min(exp.sizes.in_context_examples, len(examples))
    out: list[dict] = []
    call_index = tasks = 0  # tasks: rows of `out` that are tasks, not failures (counted, not recounted)
    for _wave in range(MAX_WAVES):
        missing = target - tasks
        if missing <= 0:
            break
        calls = []
        for _ in range(math.ceil(missing / ITEMS_PER_CALL_GUESS)):
            shots = derived_rng(exp.seed, round_, family, call_index).sample(examples, k)
            request = build_request(
                family,
                shots,
                cfg.instruction_max_tokens,
                cfg.temperature,
                cfg.top_p,
                derived_seed(exp.seed + cfg.seed, round_, family, call_index, "gen"),
            )
            request = with_role(request, cfg)
            calls.append((shots, request))
            call_index += 1
        results = generator.generate([r for _, r in calls], progress)
        for (shots, request), result in zip(calls, results, strict=True):
            items = parse_continuation(result, len(shots) + 1, generator.raw_continuation) if result.ok else []
            if not items:
                out.append(_failure_row(family, shots, request, result, exp, round_, generator.label, run_id, stats))
                continue
            for item in items:
                stats.parsed += 1
                key = normalized(item)
                if key in seen or tasks >= target:
                    stats.duplicates += key in seen
                    continue
                seen.add(key)
                content = {
                    "family": family,
                    "task_type": "math" if family == "math" else "generated",
                    "instruction": item,
                    "input": "",
                    "reference_answer": None,
                }
                extra = {"failure": None}
                out.append(
                    make_row(
                        "generated_instructions",
                        exp.name,
                        round_,
                        [s.id for s in shots],
                        "synthetic",
                        generator.label,
                        prompt_hash(request.prompt),
                        run_id,
                        content,
                        extra,
                    )
                )
                tasks += 1
    return out


def _failure_row(
    family: str,
    shots: list[InContextExample],
    request: GenerationRequest,
    result: Generation,
    exp: Experiment,
    round_: int,
    label: str,
    run_id: str,
    stats: GenerationStats,
) -> dict:
    """A call that failed, or whose text held no task, stays visible as a row with the reason;
    `task_table` never passes it on."""
    if result.ok:
        stats.parse_failures += 1
        failure = f"parse: no numbered item in the output ({result.finish_reason}): {result.text[:120]!r}"
    else:
        stats.failed_calls += 1
        failure = f"call: {result.error}"
    content = {
        "family": family,
        "task_type": "failure",
        "instruction": "",
        "input": "",
        "reference_answer": None,
        "failure": f"{failure} [call seed {request.seed}]",
    }
    return make_row(
        "generated_instructions",
        exp.name,
        round_,
        [s.id for s in shots],
        "synthetic",
        label,
        prompt_hash(request.prompt),
        run_id,
        content,
    )
