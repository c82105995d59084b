"""The rejection-sampling loop in cot_traces, against a real SDK and the loopback server: only
tasks short of verified traces are sampled again, and the metadata says how it went."""

from __future__ import annotations

import hashlib
import re

import pandas as pd
import pytest

from synth_assets.config.experiments import parse_experiments
from synth_assets.generate.rejection_sampling import RejectionLog, pass_at_k
from synth_assets.llm.session import GenerationSession
from synth_assets.stages.cot_traces import sample_traces
from synth_assets.stages.row_frames import RowScope
from synth_assets_tests.llm_tests.remote import backend
from synth_assets_tests.support.loopback_server import LoopbackLLMServer

QUESTION = re.compile(r"Question: What is (\d+) \+ (\d+)\?\nAnswer:\s*$")


ANSWERED: list[tuple[int, bool]] = []  # (first addend, answered right), in the order answered


def solver(prompt: str, params: dict) -> str:
    """Right on 'easy' sums; on 'hard' ones only for one seed in four; never on 'impossible'."""
    a, b = (int(x) for x in QUESTION.search(prompt).groups())  # type: ignore[union-attr]
    lucky = int(hashlib.sha256(str(params.get("seed")).encode()).hexdigest(), 16) % 4 == 0
    right = a < 10 or (a < 100 and lucky)
    ANSWERED.append((a, right))
    total = a + b if right else a + b + 1
    return f"We add {a} + {b} = {total}. The answer is {total}."


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
    ANSWERED.clear()
    with LoopbackLLMServer(responder=solver) as server:
        session = GenerationSession(backend("openai", server), cache=None)
        traces, stats = sample_traces(tasks, POOL, exp, RowScope("cot_traces", exp.name, 0, "run"), session)
    # What the loop should have done, from the server's side (attempts are sequential, two
    # samples each): the hard task stops after the attempt that brings its first right answer
    # (one verified trace wanted, the default), or after all four.
    hard = [right for a, right in ANSWERED if a == 40]
    hard_attempts = next((k + 1 for k in range(4) if any(hard[: 2 * (k + 1)])), 4)
    per_task = traces.groupby("task_id")["attempt"].max().to_dict()
    assert per_task == {"easy": 0, "hard": hard_attempts - 1, "impossible": 3}
    sizes = traces.groupby("task_id").size().to_dict()
    assert len(hard) == 2 * hard_attempts and sizes == {"easy": 2, "hard": 2 * hard_attempts, "impossible": 8}
    assert traces.groupby("task_id")["sample_index"].apply(lambda s: s.is_unique).all()
    log = stats.attempt_log
    assert [a["checkable_samples"] for a in log] == [6] + [4] * (hard_attempts - 1) + [2] * (4 - hard_attempts)
    summary = stats.rejection
    assert summary["checkable_tasks"] == 3 and summary["attempts_used"] == 4
    c = sum(hard)
    assert summary["share_with_a_verified_trace"] == pytest.approx((1 + (c > 0)) / 3, abs=1e-4)
    assert summary["pass_at_1"] == pytest.approx((1 + c / len(hard)) / 3, abs=1e-4)
    assert summary["pass_at_2"] == pytest.approx((1 + pass_at_k(len(hard), c, 2)) / 3, abs=1e-4)
    verified = traces[traces["task_id"] == "hard"]["response"].str.contains("The answer is 42").sum()
    assert verified == c  # each right answer the server gave is in the traces


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"), [(2, 0, 1, 0.0), (2, 1, 1, 0.5), (4, 1, 2, 0.5), (4, 4, 2, 1.0), (1, 1, 2, 1.0)]
)
def test_pass_at_k_is_the_unbiased_estimator(n: int, c: int, k: int, expected: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(expected)


def test_the_log_names_short_tasks() -> None:
    log = RejectionLog(wanted=2)
    log.record_attempt(0, [("a", True), ("a", True), ("b", True), ("b", False)])
    assert log.short(["a", "b"]) == ["b"] and log.attempts[0]["yield"] == 0.75
