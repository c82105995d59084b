"""generated_instructions: new tasks written by the generator from sampled in-context examples."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from synth_assets.experiments import Experiment
from synth_assets.filters.text_rules import normalized
from synth_assets.generate.sampling import derived_rng, derived_seed
from synth_assets.generate.self_instruct import InContextExample, build_request, parse_continuation
from synth_assets.llm.base import CallStats, ProgressFn, TextGenerator
from synth_assets.rows import prompt_hash
from synth_assets.stages._rows import frame, make_row

ITEMS_PER_CALL_GUESS = 4
MAX_WAVES = 3


@dataclass
class GenerationStats(CallStats):
    parsed: int = 0
    duplicates: int = 0
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
    call_index = 0
    for _wave in range(MAX_WAVES):
        missing = target - len(out)
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
                derived_seed(exp.seed, round_, family, call_index, "gen"),
            )
            calls.append((shots, request))
            call_index += 1
        results = generator.generate([r for _, r in calls], progress)
        for (shots, request), result in zip(calls, results, strict=True):
            stats.record(result)
            if not result.ok:
                continue
            for item in parse_continuation(result, len(shots) + 1):
                stats.parsed += 1
                key = normalized(item)
                if key in seen or len(out) >= target:
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
                    )
                )
    return out
