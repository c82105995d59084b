"""verified_traces on hand-made traces: ground truth, self-consistency votes and judge scores,
each recorded as what it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from synth_assets.llm.cache import ResponseCache
from synth_assets.llm.session import GenerationSession
from synth_assets.stages.verified_traces import VerifySettings, verification_stats, verify_traces
from synth_assets.verify.judge import parse_score
from synth_assets.verify.self_consistency import vote
from synth_assets_tests.llm_tests.remote import backend
from synth_assets_tests.support.loopback_server import LoopbackLLMServer


def _trace(task: str, response: str, family: str = "math", reference: str | None = None, **kw: Any) -> dict:
    return {
        "experiment": "e",
        "round": 0,
        "id": f"cot-{task}-{abs(hash(response)) % 10**8}",
        "parent_ids": [task],
        "origin": "synthetic",
        "generator": "x:y",
        "prompt_hash": "p",
        "run_id": "r",
        "family": family,
        "task_type": family,
        "instruction": f"task {task}",
        "input": "",
        "reference_answer": reference,
        "response": response,
        "task_id": task,
        "task_source": "generated",
        "sample_index": 0,
        "attempt": 0,
        "finish_reason": "stop",
        "completion_tokens": 5,
        "error": kw.get("error"),
        **{k: kw.get(k) for k in ("checked_verdict", "checked_answer", "checked_evidence")},
    }


TRACES = pd.DataFrame(
    [
        _trace("ref", "3 + 4 = 7. The answer is 7.", reference="7"),
        _trace("ref", "The answer is 8.", reference="7"),
        _trace("vote", "Half of it: the answer is 1/2."),
        _trace("vote", "So 0.5 remains. The answer is 0.5"),
        _trace("vote", "#### 2"),
        _trace("split", "The answer is 3."),
        _trace("split", "The answer is 4."),
        _trace("poem", "Roses are red, the sea is grey.", family="general"),
    ]
)


def test_ground_truth_and_self_consistency_are_kept_apart() -> None:
    out = verify_traces(TRACES, "e", 0, "run", VerifySettings(consistency_threshold=0.6))
    got = list(zip(out["verdict"], out["verifier"], strict=True))
    assert got == [
        ("passed", "math_reference"),
        ("failed", "math_reference"),
        ("consistent", "self_consistency"),  # 1/2 and 0.5 vote together: 2 of 3 samples
        ("consistent", "self_consistency"),
        ("inconsistent", "self_consistency"),
        ("inconsistent", "self_consistency"),  # 1 of 2 is no majority
        ("inconsistent", "self_consistency"),
        ("unverifiable", "none"),
    ]
    assert out.loc[2, "evidence"] == "2/3 samples answer 1/2"
    stats = verification_stats(out)
    assert (stats["verified_rate"], stats["self_consistent"], stats["judged"]) == (0.5, 2, 0)


def test_vote_needs_two_samples_and_counts_missing_answers_against_the_majority() -> None:
    assert [v.verdict for v in vote(["5"], 0.5)] == ["inconsistent"]
    assert [v.verdict for v in vote(["5", "5", None, None], 0.6)] == [
        "inconsistent",
        "inconsistent",
        "no_answer",
        "no_answer",
    ]


@pytest.mark.parametrize(
    ("text", "score"),
    [("Score: 7\nclear", 7), ("score = 9/10", 9), ("I'd say 4.", 4), ("Score: 0", None), ("n/a", None)],
)
def test_parse_score(text: str, score: int | None) -> None:
    assert parse_score(text) == score


def test_a_judge_scores_every_answer_through_a_real_backend(tmp_path: Path) -> None:
    def grader(prompt: str, params: dict) -> str:
        return "Score: 3\nThe poem ignores the task." if "Roses" in prompt else "Score: 9\nCorrect and clear."

    with LoopbackLLMServer(responder=grader) as server:
        judge = GenerationSession(backend("openai", server), ResponseCache(tmp_path / "cache"))
        out = verify_traces(TRACES, "e", 0, "run", VerifySettings(judge=judge, judge_max_tokens=64))
        asked = len(server.log.answered())
    assert asked == len(TRACES)
    assert out["judge_score"].tolist() == [9.0] * 7 + [3.0]
    poem = out.iloc[-1]
    assert (poem["verdict"], poem["verifier"]) == ("judged", "llm_judge") and "judge score 3/10" in poem["evidence"]
    assert out.iloc[0]["verdict"] == "passed" and "judge score 9/10" in out.iloc[0]["evidence"]  # truth stays truth


def test_the_loops_verdict_is_carried_not_checked_again() -> None:
    """The rejection-sampling loop already ran the check (for code: the sandbox); its recorded
    verdict is used as is, so a trace is never checked twice."""
    carried = _trace(
        "t1", "#### 5", reference="7", checked_verdict="passed", checked_answer="5", checked_evidence="the loop said so"
    )
    fresh = _trace("t2", "#### 5", reference="7")
    out = verify_traces(pd.DataFrame([carried, fresh]), "e", 0, "r").set_index("task_id")
    assert out.loc["t1", ["verdict", "verifier", "evidence"]].tolist() == [
        "passed",
        "math_reference",
        "the loop said so",
    ]
    assert out.loc["t2", "verdict"] == "failed"  # not checked by the loop: checked here
