"""verified_traces: each trace with a verdict, the verifier that gave it, and its evidence.

Ground truth first (math answers by value, code by its tests, general tasks by the verifiable
constraints they carry). Math tasks without a reference are voted on by their k samples
(self-consistency: 'consistent' / 'inconsistent'); with a judge configured, every trace gets a
rubric score and traces nothing else could check get verdict 'judged'. Only ground truth
ever says 'passed'; everything else is recorded as what it is.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field

import pandas as pd

from synth_assets.core.rows import nullable
from synth_assets.core.seeding import derived_seed
from synth_assets.generate.roles import structured
from synth_assets.llm.base import TextGenerator
from synth_assets.stages import schemas
from synth_assets.stages.row_frames import RowScope, frame, task_fields
from synth_assets.stages.spec import Parent, StageResult, StageRun, StageSpec
from synth_assets.verify.ground_truth import (
    GROUND_TRUTH,
    check_many,
    has_ground_truth,
    is_reward_hacking,
)
from synth_assets.verify.judge import judge_evidence, judge_request
from synth_assets.verify.math_answers import derived_answer
from synth_assets.verify.sandbox import SandboxPolicy
from synth_assets.verify.self_consistency import vote
from synth_assets.verify.verdicts import RATE_VERIFIERS

NAME = "verified_traces"
_CARRIED = (
    "response",
    "task_id",
    "task_source",
    "sample_index",
    "attempt",
    "finish_reason",
    "completion_tokens",
    "error",
)


def verdicts_for(traces: list[dict], policy: SandboxPolicy | None = None) -> list[dict]:
    """Ground truth where there is one: the verdict the rejection-sampling loop recorded, else
    checked here (side by side, see `check_many`); otherwise the reason there is none."""
    out: list[dict] = []
    checks: list[tuple[int, tuple[str, str, str, str]]] = []
    for i, trace in enumerate(traces):
        reference = nullable(trace["reference_answer"])
        if nullable(trace["error"]) is not None:
            evidence = f"generation failed: {trace['error']}"
            out.append({"verdict": "no_answer", "verifier": "none", "extracted_answer": None, "evidence": evidence})
        elif nullable(trace.get("checked_verdict")) is not None:  # the rejection-sampling loop's check
            out.append(
                {
                    "verdict": trace["checked_verdict"],
                    "verifier": GROUND_TRUTH[trace["family"]].name,
                    "extracted_answer": nullable(trace["checked_answer"]),
                    "evidence": trace["checked_evidence"],
                }
            )
        elif has_ground_truth(trace["family"], reference):
            checks.append((i, (trace["family"], trace["instruction"], trace["response"], reference)))
            out.append({})
        else:
            evidence = "no ground truth for this task"
            out.append({"verdict": "unverifiable", "verifier": "none", "extracted_answer": None, "evidence": evidence})
    for (i, _), v in zip(checks, check_many([item for _, item in checks], policy), strict=True):
        out[i] = {"verdict": v.verdict, "verifier": v.verifier, "extracted_answer": v.extracted, "evidence": v.evidence}
    return out


def _self_consistency(traces: list[dict], verdicts: list[dict], threshold: float) -> None:
    """Math tasks without a reference: the task's samples vote on the answer; only samples
    that derive their answer vote (word salad that ends on a number agrees with nothing)."""
    by_task: dict[str, list[int]] = defaultdict(list)
    for i, (t, v) in enumerate(zip(traces, verdicts, strict=True)):
        if t["family"] == "math" and v["verifier"] == "none" and v["verdict"] == "unverifiable":
            by_task[t["task_id"]].append(i)
    for rows in by_task.values():
        derived = [derived_answer(traces[i]["response"]) for i in rows]
        answers = [answer for answer, _ in derived]
        for i, (answer, why), ballot in zip(rows, derived, vote(answers, threshold), strict=True):
            verdicts[i] = {
                "verdict": ballot.verdict,
                "verifier": "self_consistency",
                "extracted_answer": answer,
                "evidence": ballot.evidence if why is None else f"casts no vote: {why}",
            }


def _judge(traces: list[dict], verdicts: list[dict], settings: VerifySettings) -> list:
    """Every answered trace gets a judge score; traces nothing else could check get it as verdict."""
    judge = settings.judge
    assert judge is not None
    todo = [i for i, t in enumerate(traces) if nullable(t["error"]) is None and (t["response"] or "").strip()]
    requests = [
        judge_request(
            traces[i]["instruction"],
            nullable(traces[i]["input"]) or "",
            traces[i]["response"],
            settings.judge_max_tokens,
            derived_seed(settings.seed, traces[i]["id"], "judge"),
            settings.judge_structured,
        )
        for i in todo
    ]
    scores: list[float | None] = [None] * len(traces)
    for i, request, result in zip(todo, requests, judge.generate(requests), strict=True):
        score, evidence = judge_evidence(result, request.output)
        scores[i] = score
        if verdicts[i]["verifier"] == "none" and verdicts[i]["verdict"] == "unverifiable":
            verdicts[i] = {**verdicts[i], "verdict": "judged", "verifier": "llm_judge", "evidence": evidence}
        elif score is not None:
            verdicts[i] = {**verdicts[i], "evidence": f"{verdicts[i]['evidence']}; {evidence}"}
    return scores


@dataclass(frozen=True)
class VerifySettings:
    consistency_threshold: float = 0.6
    judge: TextGenerator | None = None
    judge_max_tokens: int = 256
    judge_structured: bool = False  # ask the judge for `{"score", "reason"}` JSON
    seed: int = 0
    sandbox: SandboxPolicy = field(default_factory=SandboxPolicy)


def verify_traces(traces: pd.DataFrame, scope: RowScope, settings: VerifySettings | None = None) -> pd.DataFrame:
    settings = settings or VerifySettings()
    records = traces.to_dict("records")
    verdicts = verdicts_for(records, settings.sandbox)
    _self_consistency(records, verdicts, settings.consistency_threshold)
    scores: list[float | None] = [None] * len(records)
    if settings.judge is not None and records:
        scores = _judge(records, verdicts, settings)
    rows = []
    for t, verdict, score in zip(records, verdicts, scores, strict=True):
        carried = {**task_fields(t), **{k: nullable(t[k]) for k in _CARRIED}}
        content = {"verdict": verdict["verdict"], "verifier": verdict["verifier"]}
        rows.append(scope.derive(t, content, {**carried, **verdict, "judge_score": score}))
    return frame(rows, schemas.VERIFIED_TRACES)


def verification_stats(verified: pd.DataFrame) -> dict[str, float | int]:
    """Verified rate is over traces a ground-truth verifier checked (`verify/verdicts.py`, the
    same definition the SQL's `verification_rollup` is generated from)."""
    checkable = verified[verified["verifier"].isin(RATE_VERIFIERS)]
    passed = int((checkable["verdict"] == "passed").sum())
    tasks = checkable.groupby("task_id")["verdict"].apply(lambda v: (v == "passed").any())
    return {
        "traces": len(verified),
        "checkable_traces": len(checkable),
        "passed": passed,
        "verified_rate": round(passed / len(checkable), 4) if len(checkable) else 0.0,
        "tasks_with_a_pass": int(tasks.sum()),
        "checkable_tasks": len(tasks),
        "reward_hacking": int(verified["evidence"].map(is_reward_hacking).sum()),
        "unverifiable": int((verified["verdict"] == "unverifiable").sum()),
        "self_consistent": int((verified["verdict"] == "consistent").sum()),
        "self_inconsistent": int((verified["verdict"] == "inconsistent").sum()),
        "judged": int(verified["judge_score"].notna().sum()),
        "mean_judge_score": round(float(verified["judge_score"].mean()), 3)
        if verified["judge_score"].notna().any()
        else 0.0,
    }


def _compute(run: StageRun) -> StageResult:
    exp = run.experiment
    judge = run.models.for_role("judge") if exp.judge else None
    settings = VerifySettings(
        consistency_threshold=exp.verify.self_consistency_threshold,
        judge=judge,
        judge_max_tokens=exp.judge.max_tokens if exp.judge else 0,
        judge_structured=judge is not None and exp.judge is not None and structured(judge, exp.judge),
        seed=exp.seed + (exp.judge.seed if exp.judge else 0),
        sandbox=exp.verify.sandbox_policy(),
    )
    with judge or nullcontext():
        df = verify_traces(run["cot_traces"], run.scope, settings)
    stats = verification_stats(df)
    return StageResult(
        df,
        {
            "verified_rate": float(stats["verified_rate"]),
            "reward_hacking": int(stats["reward_hacking"]),
            "verification": stats,
        },
    )


STAGE = StageSpec(
    name=NAME,
    description="Each trace with a verdict, its verifier and evidence: math answers checked by value, code run "
    "against its tests in the sandbox, general tasks against their verifiable constraints, self-consistency "
    "for math without a reference, and the judge's score where configured.",
    schema=schemas.VERIFIED_TRACES,
    parents=(Parent("cot_traces"),),
    compute=_compute,
    config=lambda exp: (exp.verify, exp.judge, exp.seed),
    judges=True,
)
