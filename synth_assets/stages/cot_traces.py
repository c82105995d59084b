"""cot_traces: k sampled step-by-step solutions per task, resampled where they can be checked.

Tasks are this round's generated instructions plus a sample of pool tasks that carry a ground
truth answer; math is prompted few-shot with the round's worked examples (`round_shots`). The
second kind is rejection sampling: their traces are checked as they arrive and
tasks short of verified traces get more attempts (only those), so what reaches training is
right by construction.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

from synth_assets.config.experiments import Experiment
from synth_assets.core.rows import nullable, prompt_hash
from synth_assets.core.seeding import derived_rng, derived_seed
from synth_assets.generate.cot import WorkedExample, trace_request
from synth_assets.generate.rejection_sampling import RejectionLog
from synth_assets.generate.roles import with_role
from synth_assets.llm.base import Generation, GenerationRequest, ProgressFn, TextGenerator
from synth_assets.mix.regimes import sample
from synth_assets.stages import schemas
from synth_assets.stages.row_frames import TASK_FIELDS, RowScope, frame, task_fields
from synth_assets.stages.spec import Parent, Preview, StageResult, StageRun, StageSpec
from synth_assets.verify.ground_truth import check_many, has_ground_truth
from synth_assets.verify.sandbox import SandboxPolicy

NAME = "cot_traces"
MATH_SHOTS = 2


@dataclass
class TraceStats:
    tasks_generated: int = 0
    tasks_from_pool: int = 0
    failed_calls: int = 0
    resampled_tasks: int = 0
    rejection: dict[str, int | float] = field(default_factory=dict)
    attempt_log: list[dict[str, int | float]] = field(default_factory=list)


def task_table(generated: pd.DataFrame, pool: pd.DataFrame, exp: Experiment, round_: int) -> pd.DataFrame:
    """One row per task to solve: `task_source` says whether it is new or a checked pool task."""
    usable = generated[generated["failure"].isna()] if "failure" in generated else generated
    gen = usable.assign(task_id=usable["id"], task_source="generated")
    checkable = pool[pool["reference_answer"].notna()].drop_duplicates("instruction")
    picked = sample(checkable, exp.sizes.reference_tasks_per_round, exp.seed, round_, "reference_tasks")
    ref = picked.assign(task_id=picked["id"], task_source="pool")
    cols = ["task_id", "task_source", *TASK_FIELDS]
    return pd.concat([gen[cols], ref[cols]], ignore_index=True)


def round_shots(pool: pd.DataFrame, tasks: pd.DataFrame, exp: Experiment, round_: int) -> list[WorkedExample]:
    """The round's worked examples, the same for every math task of the round as in
    chain-of-thought prompting: the shared prompt prefix is then evaluated once by the local
    model and cached by the providers' prompt caches. Never a task solved this round."""
    solving = set(tasks["task_id"]) | set(tasks["instruction"])
    solved = pool[(pool["family"] == "math") & pool["reference_answer"].notna()]
    solved = solved[~solved["id"].isin(solving) & ~solved["instruction"].isin(solving)]
    rows = solved.drop_duplicates("instruction").to_dict("records")
    chosen = derived_rng(exp.seed, round_, "shots").sample(rows, min(MATH_SHOTS, len(rows)))
    return [WorkedExample(r["instruction"], r["response"]) for r in chosen]


def sample_traces(
    tasks: pd.DataFrame,
    pool: pd.DataFrame,
    exp: Experiment,
    scope: RowScope,
    generator: TextGenerator,
    progress: ProgressFn | None = None,
) -> tuple[pd.DataFrame, TraceStats]:
    """k samples of every task, then further attempts of k for the tasks with a reference that
    still lack `sizes.min_verified_per_task` verified traces, up to `sizes.max_attempts`."""
    sizes, k = exp.sizes, exp.sizes.samples_per_task
    stats = TraceStats(
        tasks_generated=int((tasks["task_source"] == "generated").sum()),
        tasks_from_pool=int((tasks["task_source"] == "pool").sum()),
    )
    records = tasks.to_dict("records")
    round_ = scope.round_
    math_shots = round_shots(pool, tasks, exp, round_) if (tasks["family"] == "math").any() else []
    shots = {t["task_id"]: math_shots if t["family"] == "math" else [] for t in records}
    references = {
        t["task_id"]: t["reference_answer"]
        for t in records
        if has_ground_truth(t["family"], nullable(t["reference_answer"]))
    }
    log = RejectionLog(wanted=sizes.min_verified_per_task)
    rows: list[dict] = []
    todo = records
    for attempt in range(sizes.max_attempts):
        if not todo:
            break
        jobs = [(task, attempt * k + i) for task in todo for i in range(k)]
        requests = [_request(task, shots[task["task_id"]], index, exp, round_) for task, index in jobs]
        results = generator.generate(requests, progress)
        to_check: list[tuple[dict, Generation, dict]] = []
        for (task, index), request, result in zip(jobs, requests, results, strict=True):
            stats.failed_calls += not result.ok
            rows.append(_row(scope, generator.label, (task, index, attempt), request, result))
            if task["task_id"] in references:
                to_check.append((task, result, rows[-1]))
        checked = _check_once(to_check, references, exp.verify.sandbox_policy())
        log.record_attempt(attempt, checked)
        short = set(log.short(references))
        todo = [t for t in records if t["task_id"] in short]
        stats.resampled_tasks += len(todo) if attempt + 1 < sizes.max_attempts else 0
    stats.attempt_log = log.attempts
    stats.rejection = log.summary(k)
    return frame(rows, schemas.COT_TRACES), stats


def _check_once(
    to_check: list[tuple[dict, Generation, dict]], references: dict[str, str], policy: SandboxPolicy
) -> list[tuple[str, bool]]:
    """Ground truth for each answered trace, recorded on its row (`checked_*`) so that
    verified_traces carries the verdict instead of running the sandbox a second time."""
    answered = [(t, r, row) for t, r, row in to_check if r.ok]
    items = [(t["family"], t["instruction"], r.text, references[t["task_id"]]) for t, r, _ in answered]
    for (_, _, row), verdict in zip(answered, check_many(items, policy), strict=True):
        row.update(checked_verdict=verdict.verdict, checked_answer=verdict.extracted, checked_evidence=verdict.evidence)
    return [(t["task_id"], row["checked_verdict"] == "passed") for t, _, row in to_check]


def _request(task: dict, shots: list[WorkedExample], index: int, exp: Experiment, round_: int) -> GenerationRequest:
    cfg = exp.generator
    seed = derived_seed(exp.seed + cfg.seed, round_, task["task_id"], index)
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
    return with_role(request, cfg, sample_index=index)


def _row(
    scope: RowScope, label: str, job: tuple[dict, int, int], request: GenerationRequest, result: Generation
) -> dict:
    """`job` is (task, sample index, attempt): which sample of which task this trace is."""
    task, index, attempt = job
    content = {**task_fields(task), "response": result.text.strip(), "task_id": task["task_id"], "sample_index": index}
    extra = {
        "task_source": task["task_source"],
        "attempt": attempt,
        "finish_reason": result.finish_reason,
        "completion_tokens": result.completion_tokens,
        "error": result.error,
        "checked_verdict": None,
        "checked_answer": None,
        "checked_evidence": None,
    }
    return scope.row([task["task_id"]], content, extra, generator=label, prompt_hash=prompt_hash(request.prompt))


def _compute(run: StageRun) -> StageResult:
    exp, round_, pool = run.experiment, run.round_, run["seed_set"]
    tasks = task_table(run["generated_instructions"], pool, exp, round_)
    with run.models.for_round(pool) as gen:
        df, stats = sample_traces(tasks, pool, exp, run.scope, gen, run.progress("trace sampling"))
    counts = {k: v for k, v in asdict(stats).items() if k not in ("rejection", "attempt_log")}
    return StageResult(
        df,
        {
            "sampling": counts,
            "rejection_sampling": stats.rejection,
            "attempts": Preview(pd.DataFrame(stats.attempt_log)),
            **{k: float(v) for k, v in stats.rejection.items() if k.startswith("pass_at")},
        },
    )


STAGE = StageSpec(
    name=NAME,
    description="k chain-of-thought samples per task: this round's new tasks plus pool tasks with ground truth.",
    schema=schemas.COT_TRACES,
    parents=(Parent("generated_instructions"), Parent("seed_set")),
    compute=_compute,
    config=lambda exp: (exp.generator, exp.sizes, exp.seed, exp.verify),
    generates=True,
)
