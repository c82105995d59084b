"""cot_traces: k sampled step-by-step solutions per task.

Tasks are this round's generated instructions plus a sample of pool tasks that carry a ground
truth answer (the rejection-sampling half: re-solve problems we can check).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from synth_assets.experiments import Experiment
from synth_assets.generate.cot import WorkedExample, trace_request
from synth_assets.generate.roles import with_role
from synth_assets.generate.sampling import derived_rng, derived_seed
from synth_assets.llm.base import ProgressFn, TextGenerator
from synth_assets.mix.regimes import sample
from synth_assets.rows import prompt_hash
from synth_assets.stages._rows import TASK_FIELDS, frame, make_row, nullable, task_fields

MATH_SHOTS = 2


@dataclass
class TraceStats:
    tasks_generated: int = 0
    tasks_from_pool: int = 0
    failed_calls: int = 0


def task_table(generated: pd.DataFrame, pool: pd.DataFrame, exp: Experiment, round_: int) -> pd.DataFrame:
    """One row per task to solve: `task_source` says whether it is new or a checked pool task."""
    usable = generated[generated["failure"].isna()] if "failure" in generated else generated
    gen = usable.assign(task_id=usable["id"], task_source="generated")
    checkable = pool[pool["reference_answer"].notna()].drop_duplicates("instruction")
    picked = sample(checkable, exp.sizes.reference_tasks_per_round, exp.seed, round_, "reference_tasks")
    ref = picked.assign(task_id=picked["id"], task_source="pool")
    cols = ["task_id", "task_source", *TASK_FIELDS]
    return pd.concat([gen[cols], ref[cols]], ignore_index=True)


def _shots(pool: pd.DataFrame, task_id: str, exp: Experiment, round_: int) -> list[WorkedExample]:
    solved = pool[(pool["family"] == "math") & pool["reference_answer"].notna() & (pool["id"] != task_id)]
    rows = solved.to_dict("records")
    chosen = derived_rng(exp.seed, round_, task_id, "shots").sample(rows, min(MATH_SHOTS, len(rows)))
    return [WorkedExample(r["instruction"], r["response"]) for r in chosen]


def sample_traces(
    tasks: pd.DataFrame,
    pool: pd.DataFrame,
    exp: Experiment,
    round_: int,
    generator: TextGenerator,
    run_id: str,
    progress: ProgressFn | None = None,
) -> tuple[pd.DataFrame, TraceStats]:
    cfg, k = exp.generator, exp.sizes.samples_per_task
    stats = TraceStats(
        tasks_generated=int((tasks["task_source"] == "generated").sum()),
        tasks_from_pool=int((tasks["task_source"] == "pool").sum()),
    )
    jobs = []
    for task in tasks.to_dict("records"):
        shots = _shots(pool, task["task_id"], exp, round_) if task["family"] == "math" else []
        for i in range(k):
            seed = derived_seed(exp.seed + cfg.seed, round_, task["task_id"], i)
            request = trace_request(
                task["family"],
                task["instruction"],
                task["input"] or "",
                shots,
                cfg.trace_max_tokens,
                cfg.temperature,
                cfg.top_p,
                seed,
            )
            jobs.append((task, i, with_role(request, cfg, sample_index=i)))
    results = generator.generate([req for *_, req in jobs], progress)
    rows = []
    for (task, i, request), result in zip(jobs, results, strict=True):
        stats.failed_calls += not result.ok
        content = {
            **{k: nullable(v) for k, v in task_fields(task).items()},
            "response": result.text.strip(),
            "task_id": task["task_id"],
            "sample_index": i,
        }
        extra = {
            "task_source": task["task_source"],
            "finish_reason": result.finish_reason,
            "completion_tokens": result.completion_tokens,
            "error": result.error,
        }
        rows.append(
            make_row(
                "cot_traces",
                exp.name,
                round_,
                [task["task_id"]],
                "synthetic",
                generator.label,
                prompt_hash(request.prompt),
                run_id,
                content,
                extra,
            )
        )
    return frame(rows, "COT_TRACES"), stats
