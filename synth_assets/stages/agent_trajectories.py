"""agent_trajectories: a share of the round's tasks solved by the generator as an agent that
calls tools (a calculator, and Python in the code sandbox) through its backend's own tool calling,
each call executed and its result fed back, up to `agent.max_steps`. One row per trajectory, the
whole conversation in `messages` (Hugging Face's tool-use format), its final answer checked
against the task's ground truth (math by value, and computed by a tool or derived in the text).

A trajectory that could not finish is a row saying why (`failure`); the finished, verified or
unverifiable ones become `agent_sft.jsonl` in the round's training files.
"""

from __future__ import annotations

import json
from collections import Counter

import pandas as pd

from synth_assets.config.experiments import Experiment
from synth_assets.core.rows import nullable, prompt_hash
from synth_assets.core.turns import user_turn
from synth_assets.generate.agent.trajectory import SYSTEM, AgentSettings, Trajectory, run_agents
from synth_assets.generate.agent.transcript import messages, tool_work
from synth_assets.llm.base import ProgressFn, TextGenerator
from synth_assets.mix.regimes import sample
from synth_assets.stages import schemas
from synth_assets.stages.cot_traces import task_table
from synth_assets.stages.row_frames import RowScope, frame, task_fields
from synth_assets.stages.spec import Parent, Preview, StageResult, StageRun, StageSpec
from synth_assets.verify.ground_truth import has_ground_truth
from synth_assets.verify.tool_answers import check_agent_answer

NAME = "agent_trajectories"
FAMILIES = ("math", "general", "code_output")  # HumanEval stubs are continued, not conversed about


def agent_tasks(generated: pd.DataFrame, pool: pd.DataFrame, exp: Experiment, round_: int) -> pd.DataFrame:
    """A seeded `agent.share` of the tasks `cot_traces` solves (the same table), of the families
    an agent converses about."""
    tasks = task_table(generated, pool, exp, round_)
    tasks = tasks[tasks["family"].isin(FAMILIES)].sort_values("task_id")
    return sample(tasks, round(exp.agent.share * len(tasks)), exp.seed, round_, NAME)


def solve(
    tasks: pd.DataFrame, exp: Experiment, scope: RowScope, generator: TextGenerator, progress: ProgressFn | None = None
) -> pd.DataFrame:
    cfg = exp.generator
    settings = AgentSettings(exp.agent.max_steps, exp.agent.max_tokens, cfg.temperature, cfg.top_p,
                             exp.seed + cfg.seed)  # fmt: skip
    records = tasks.to_dict("records")
    prompts = [(t["task_id"], user_turn(t["instruction"], nullable(t["input"]))) for t in records]
    policy = exp.verify.sandbox_policy()
    trajectories = run_agents(prompts, generator, settings, policy, progress)
    rows = []
    for task, trajectory in zip(records, trajectories, strict=True):
        verdict = _verdict(task, trajectory, policy)
        content = {
            **task_fields(task),
            "task_id": task["task_id"],
            "messages": json.dumps(messages(trajectory, SYSTEM)),
        }
        extra = {
            "final_answer": trajectory.final,
            "steps": trajectory.steps,
            "tool_calls": trajectory.tool_calls,
            "tool_errors": trajectory.tool_errors,
            **verdict,
            "failure": trajectory.failure,
        }
        rows.append(scope.row([task["task_id"]], content, extra, generator=generator.label,
                              prompt_hash=prompt_hash(trajectory.prompt)))  # fmt: skip
    return frame(rows, schemas.AGENT_TRAJECTORIES)


def _verdict(task: dict, trajectory: Trajectory, policy) -> dict:
    if trajectory.failure is not None or trajectory.final is None:
        return {"verdict": None, "verifier": None, "evidence": None}
    reference = nullable(task["reference_answer"])
    if not has_ground_truth(task["family"], reference):
        return {"verdict": "unverifiable", "verifier": None, "evidence": "the task has no ground truth"}
    v = check_agent_answer(task["family"], task["instruction"], trajectory.final, reference, tool_work(trajectory),
                           policy)  # fmt: skip
    return {"verdict": v.verdict, "verifier": v.verifier, "evidence": v.evidence}


def agent_stats(df: pd.DataFrame) -> dict[str, int | float]:
    """What a round's agents did: steps and tool use, how many finished, and the verified rate
    over the finished trajectories a ground-truth check looked at."""
    finished = df[df["failure"].isna()]
    checked = finished[finished["verdict"].isin(["passed", "failed", "no_answer"])]
    failures = Counter(str(f).split(":")[0] for f in df["failure"].dropna())
    return {
        "trajectories": len(df),
        "finished": len(finished),
        **{f"failed:{kind}": n for kind, n in sorted(failures.items())},
        "mean_steps": round(float(df["steps"].mean()), 3) if len(df) else 0.0,
        "tool_calls": int(df["tool_calls"].sum()),
        "tool_errors": int(df["tool_errors"].sum()),
        "checked": len(checked),
        "passed": int((checked["verdict"] == "passed").sum()),
        "verified_rate": round(float((checked["verdict"] == "passed").mean()), 4) if len(checked) else float("nan"),
    }


def _compute(run: StageRun) -> StageResult:
    exp, pool = run.experiment, run["seed_set"]
    tasks = agent_tasks(run["generated_instructions"], pool, exp, run.round_)
    if tasks.empty:
        df = frame([], schemas.AGENT_TRAJECTORIES)
    else:
        with run.models.for_round(pool) as gen:
            df = solve(tasks, exp, run.scope, gen, run.progress("agent steps"))
    stats = agent_stats(df)
    columns = ("family", "instruction", "final_answer", "steps", "tool_calls", "verdict", "failure")
    return StageResult(df, {"agents": stats, "verified_rate": stats["verified_rate"], "rows": Preview(df, columns, 5)})


STAGE = StageSpec(
    name=NAME,
    description="A share of the round's tasks solved by the generator as an agent calling a calculator and Python "
    "(in the code sandbox) through its backend's tool calling; one row per trajectory, its final answer verified.",
    schema=schemas.AGENT_TRAJECTORIES,
    parents=(Parent("generated_instructions"), Parent("seed_set")),
    compute=_compute,
    config=lambda exp: (exp.agent, exp.generator, exp.sizes, exp.seed, exp.verify),
    generates=True,
)
