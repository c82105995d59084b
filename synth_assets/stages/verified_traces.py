"""verified_traces: each trace with a verdict, the verifier that gave it, and its evidence.

Only answers with ground truth are checked here; traces for tasks without a reference are marked
'unverifiable', never passed off as verified.
"""

from __future__ import annotations

import pandas as pd

from synth_assets.stages._rows import derive_row, frame, nullable
from synth_assets.verify import check_math_answer

_CARRIED = (
    "family",
    "task_type",
    "instruction",
    "input",
    "reference_answer",
    "response",
    "task_id",
    "task_source",
    "sample_index",
    "finish_reason",
    "completion_tokens",
    "error",
)


def verdict_for(trace: dict) -> dict:
    if nullable(trace["error"]) is not None:
        return {
            "verdict": "no_answer",
            "verifier": "none",
            "extracted_answer": None,
            "evidence": f"generation failed: {trace['error']}",
        }
    reference = nullable(trace["reference_answer"])
    if trace["family"] == "math" and reference is not None:
        v = check_math_answer(trace["response"], reference)
        verdict = "passed" if v.passed else ("no_answer" if v.extracted is None else "failed")
        return {"verdict": verdict, "verifier": "math_reference", "extracted_answer": v.extracted, "evidence": v.reason}
    return {
        "verdict": "unverifiable",
        "verifier": "none",
        "extracted_answer": None,
        "evidence": "no ground truth for this task",
    }


def verify_traces(traces: pd.DataFrame, experiment: str, round_: int, run_id: str) -> pd.DataFrame:
    rows = []
    for t in traces.to_dict("records"):
        verdict = verdict_for(t)
        carried = {k: nullable(t[k]) for k in _CARRIED}
        content = {"verdict": verdict["verdict"], "verifier": verdict["verifier"]}
        rows.append(derive_row("verified_traces", experiment, round_, t, run_id, content, {**carried, **verdict}))
    return frame(rows, "VERIFIED_TRACES")


def verification_stats(verified: pd.DataFrame) -> dict[str, float | int]:
    """Verified rate is over traces that could be checked, so unverifiable rows don't dilute it."""
    checkable = verified[verified["verifier"] != "none"]
    passed = int((checkable["verdict"] == "passed").sum())
    tasks = checkable.groupby("task_id")["verdict"].apply(lambda v: (v == "passed").any())
    return {
        "traces": len(verified),
        "checkable_traces": len(checkable),
        "passed": passed,
        "verified_rate": round(passed / len(checkable), 4) if len(checkable) else 0.0,
        "tasks_with_a_pass": int(tasks.sum()),
        "checkable_tasks": len(tasks),
        "unverifiable": int((verified["verdict"] == "unverifiable").sum()),
    }
