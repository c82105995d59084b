"""verified_traces on hand-made traces: ground truth, self-consistency votes and judge scores,
each recorded as what it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from synth_assets.llm.cache import ResponseCache
from synth_assets.llm.session import GenerationSession
from synth_assets.stages.row_frames import RowScope
from synth_assets.stages.verified_traces import VerifySettings, verification_stats, verify_traces
from synth_assets.verify.constraints import Bullets, ConstraintSpec
from synth_assets.verify.judge import parse_score
from synth_assets.verify.self_consistency import vote
from synth_assets_tests.llm_tests.remote import backend
from synth_assets_tests.support.loopback_server import LoopbackLLMServer, reply

SCOPE = RowScope("verified_traces", "e", 0, "run")


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
        "instruction": kw.get("instruction", f"task {task}"),
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


TWO_BULLETS = ConstraintSpec(constraints=(Bullets(n=2),)).to_json()
TRACES = pd.DataFrame(
    [
        _trace("ref", "3 + 4 = 7. The answer is 7.", reference="7", instruction="Sam has 3 and gets 4. How many?"),
        _trace("ref", "The answer is 8.", reference="7", instruction="Sam has 3 and gets 4. How many?"),
        _trace("vote", "Half of it: 1 / 2 = 1/2. The answer is 1/2."),
        _trace("vote", "So 1 - 0.5 = 0.5 remains. The answer is 0.5"),
        _trace("vote", "Twice: 2 * 1 = 2\n#### 2"),
        _trace("split", "We have 1 + 2 = 3. The answer is 3."),
        _trace("split", "We have 2 + 2 = 4. The answer is 4."),
        _trace("poem", "Roses are red, the sea is grey.", family="general"),
        _trace("lazy", "The answer is 5."),  # derives nothing: no vote, and it counts against
        _trace("lazy", "Then 2 + 3 = 5. The answer is 5."),
        _trace("lazy", "Then 1 + 4 = 5. The answer is 5."),
        _trace("listy", "Two fruits:\n* apple\n* pear", family="general", reference=TWO_BULLETS),
        _trace("listy", "Fruits:\n* apple\n* pear\n* plum", family="general", reference=TWO_BULLETS),
    ]
)


def test_ground_truth_and_self_consistency_are_kept_apart() -> None:
    out = verify_traces(TRACES, SCOPE, VerifySettings(consistency_threshold=0.6))
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
        ("no_answer", "self_consistency"),
        ("consistent", "self_consistency"),
        ("consistent", "self_consistency"),
        ("passed", "constraints"),
        ("failed", "constraints"),
    ]
    assert out.loc[12, "evidence"].endswith("markdown such as '* This is a point'.): 3 bullet points")
    assert out.loc[2, "evidence"] == "2/3 samples answer 1/2"
    assert out.loc[8, "evidence"] == "casts no vote: 5 is not derived: the trace computes nothing"
    assert out.loc[9, "evidence"] == "2/3 samples answer 5"
    stats = verification_stats(out)
    assert (stats["verified_rate"], stats["checkable_traces"], stats["self_consistent"]) == (0.5, 4, 4)


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
        score, reason = (3, "The poem ignores the task.") if "Roses" in prompt else (9, "Correct and clear.")
        return reply(params, f"Score: {score}\n{reason}", score=score, reason=reason)

    with LoopbackLLMServer(responder=grader) as server:
        judge = GenerationSession(backend("openai", server), ResponseCache(tmp_path / "cache"))
        out = verify_traces(TRACES, SCOPE, VerifySettings(judge=judge, judge_max_tokens=64))
        asked = len(server.log.answered())
    assert asked == len(TRACES)
    assert out["judge_score"].tolist() == [3.0 if "Roses" in r else 9.0 for r in TRACES["response"]]
    poem = out[out["task_id"] == "poem"].iloc[0]
    assert (poem["verdict"], poem["verifier"]) == ("judged", "llm_judge") and "judge score 3/10" in poem["evidence"]
    assert out.iloc[0]["verdict"] == "passed" and "judge score 9/10" in out.iloc[0]["evidence"]  # truth stays truth


def test_the_loops_verdict_is_carried_not_checked_again() -> None:
    """The rejection-sampling loop already ran the check (for code: the sandbox); its recorded
    verdict is used as is, so a trace is never checked twice."""
    carried = _trace(
        "t1", "#### 5", reference="7", checked_verdict="passed", checked_answer="5", checked_evidence="the loop said so"
    )
    fresh = _trace("t2", "#### 5", reference="7")
    out = verify_traces(pd.DataFrame([carried, fresh]), SCOPE).set_index("task_id")
    assert out.loc["t1", ["verdict", "verifier", "evidence"]].tolist() == [
        "passed",
        "math_reference",
        "the loop said so",
    ]
    assert out.loc["t2", "verdict"] == "failed"  # not checked by the loop: checked here


def test_the_sql_and_the_stage_give_one_verified_rate() -> None:
    """`verification_rollup` (what round_summary and `synth run` print) and verification_stats
    (the stage's metadata, the collapse metrics) are built from one definition; held equal on
    rows of every verdict, self-consistency and unverifiable ones included."""
    import duckdb

    from synth_assets.verify.verdicts import VERDICTS, rollup_sql

    out = verify_traces(TRACES, SCOPE, VerifySettings(consistency_threshold=0.6))
    stats = verification_stats(out)
    con = duckdb.connect()
    con.register("traces", out)
    row = con.execute(rollup_sql("traces")).fetchdf().iloc[0]
    assert (row["checkable_traces"], row["verified_traces"]) == (stats["checkable_traces"], stats["passed"])
    assert row["verified_rate"] == stats["verified_rate"] == 0.5
    assert {v: int(row[v]) for v in VERDICTS} == {v: int((out["verdict"] == v).sum()) for v in VERDICTS}
    assert row["consistent"] == stats["self_consistent"] == 4  # counted, but outside the rate
