"""The rejection-sampling loop in cot_traces, against a real SDK and the loopback server: only
tasks short of verified traces are sampled again, and the metadata says how it went."""

from __future__ import annotations

import hashlib
import re

import pandas as pd
import pytest

from synth_assets.experiments import parse_experiments
from synth_assets.generate.rejection_sampling import RejectionLog, pass_at_k
from synth_assets.llm.session import GenerationSession
from synth_assets.stages.cot_traces import sample_traces
from synth_assets_tests.llm_tests.remote import backend
from synth_assets_tests.support.loopback_server import LoopbackLLMServer

QUESTION = re.compile(r"Question: What is (\d+) \+ (\d+)\?\nAnswer:\s*$")


def solver(prompt: str, params: dict) -> str:
    """Right on 'easy' sums; on 'hard' ones only for one seed in four; never on 'impossible'."""
    a, b = (int(x) for x in QUESTION.search(prompt).groups())  # type: ignore[union-attr]
    lucky = int(hashlib.sha256(str(params.get("seed")).encode()).hexdigest(), 16) % 4 == 0
    right = a < 10 or (a < 100 and lucky)
    return f"We add {a} and {b}. The answer is {a + b if right else a + b + 1}."


def _task(task_id: str, a: int, b: int) -> dict:
    return {
        "task_id": task_id,
        "task_source": "pool",
        "family": "math",
        "task_type": "math",
        "instruction": f"What is {a} + {b}?",
        "input": "",
        "reference_answer": str(a + b),
    }


POOL = pd.DataFrame(
    [
        {
            "id": "p1",
            "family": "math",
            "instruction": "What is 1 + 1?",
            "response": "1 + 1 = 2\n#### 2",
            "reference_answer": "2",
        }
    ]
)


def test_only_tasks_short_of_verified_traces_are_resampled() -> None:
    tasks = pd.DataFrame([_task("easy", 3, 4), _task("hard", 40, 2), _task("impossible", 500, 1)])
    raw = {"experiments": [{"name": "e", "regime": "replace", "sizes": {"samples_per_task": 2, "max_attempts": 4}}]}
    exp = parse_experiments(raw, "test").experiments[0]
    with LoopbackLLMServer(responder=solver) as server:
        session = GenerationSession(backend("openai", server), cache=None)
        traces, stats = sample_traces(tasks, POOL, exp, 0, session, "run")
    per_task = traces.groupby("task_id")["attempt"].max().to_dict()
    assert per_task["easy"] == 0  # verified on the first attempt: never resampled
    assert per_task["impossible"] == 3  # the whole budget of 4 attempts
    assert 0 <= per_task["hard"] <= 3
    assert traces.groupby("task_id").size()["impossible"] == 8 and traces["sample_index"].is_unique is False
    assert traces.groupby("task_id")["sample_index"].apply(lambda s: s.is_unique).all()
    log = stats.attempt_log
    assert [a["attempt"] for a in log] == list(range(len(log))) and log[0]["checkable_samples"] == 6
    assert all(a["checkable_samples"] >= 2 for a in log[1:])  # later attempts: only the short tasks
    summary = stats.rejection
    assert summary["checkable_tasks"] == 3 and summary["attempts_used"] == 4
    hard_passed = _hard_passed(traces)
    assert summary["share_with_a_verified_trace"] == pytest.approx((1 + hard_passed) / 3, abs=1e-3)
    assert (per_task["hard"] < 3) <= hard_passed  # stopped early only after a verified trace
    assert 0 < summary["pass_at_1"] < summary["pass_at_2"] <= 1


def _hard_passed(traces: pd.DataFrame) -> bool:
    hard = traces[traces["task_id"] == "hard"]
    return bool(hard["response"].str.contains("The answer is 42").any())


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"), [(2, 0, 1, 0.0), (2, 1, 1, 0.5), (4, 1, 2, 0.5), (4, 4, 2, 1.0), (1, 1, 2, 1.0)]
)
def test_pass_at_k_is_the_unbiased_estimator(n: int, c: int, k: int, expected: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(expected)


def test_the_log_names_short_tasks() -> None:
    log = RejectionLog(wanted=2)
    log.record_attempt(0, [("a", True), ("a", True), ("b", True), ("b", False)])
    assert log.short(["a", "b"]) == ["b"] and log.attempts[0]["yield"] == 0.75
