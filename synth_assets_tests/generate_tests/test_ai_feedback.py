"""Preference data without annotators, through both official SDKs against the loopback server:
a label is a choice that survives swapping the two responses (a labeller that always says "A"
labels nothing), a revision that restates its original or whose call failed is a row saying so,
and the pairs reach the DPO records with the revision as `chosen`, their lineage running
through the `ai_preferences` row to both responses and the principle."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import datasets
import pandas as pd
import pytest

from synth_assets.config.experiments import BackendConfig, parse_experiments
from synth_assets.export.files import write_jsonl_and_parquet
from synth_assets.export.formats import dpo_record
from synth_assets.generate.feedback.choice import Pair, choose, parse_pick
from synth_assets.generate.feedback.critique import Item, revise
from synth_assets.generate.feedback.principles import Principle, principles
from synth_assets.llm.session import GenerationSession
from synth_assets.seeds.human_pool import constitution_rows
from synth_assets.stages.ai_preferences import comparison_rows, constitutional_rows, preference_stats, to_compare
from synth_assets.stages.preference_pairs import preference_pairs
from synth_assets.stages.row_frames import RowScope
from synth_assets_tests.llm_tests.remote import PROVIDERS, backend
from synth_assets_tests.support.loopback_server import LoopbackLLMServer, reply
from synth_assets_tests.support.paths import PROJECT_DATA

RIGHT, WRONG = "3 boxes of 4 pens: 3 * 4 = 12 pens.", "3 boxes of 4 pens: 3 + 4 = 7 pens."
VAGUE = "There are some pens in the boxes."
PRINCIPLE = Principle("accuracy", "con-1", "Find the errors.", "Fix the errors.", "Which response is more accurate?")
_SIDE = re.compile(r"### Response A\n(.*?)\n\n### Response B\n(.*?)\n\n", re.S)


def fair(prompt: str, params: dict[str, Any]) -> str:
    """Picks the side that says 12, wherever it stands; critiques and revises toward 12."""
    if "Better:" in prompt:
        a, _ = _SIDE.search(prompt).groups()  # type: ignore[union-attr]
        better = "A" if "12" in a else "B"
        return reply(params, f"Response {better} is better.", reason="It multiplies.", better=better)
    if "Critique request:" in prompt:
        return reply(params, "Critique: it adds where it should multiply.", critique="It adds; it should multiply.")
    if "UNCHANGED" in prompt:
        original = prompt.split("### Response\n")[1].split("\n\n")[0]
        return reply(params, original, revision=original)
    if "in t2?" in prompt:  # a revision no better than its original: the labeller's choice flips
        return reply(params, VAGUE, revision=VAGUE)
    return reply(params, RIGHT, revision=RIGHT)


def biased(prompt: str, params: dict[str, Any]) -> str:
    """Always the first slot: position bias, no preference."""
    return reply(params, "A", reason="The first one.", better="A") if "Better:" in prompt else fair(prompt, params)


def _session(provider: str, server: LoopbackLLMServer) -> GenerationSession:
    return GenerationSession(backend(provider, server), None)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("structured", [True, False], ids=["json", "free_text"])
def test_a_label_is_a_choice_that_survives_the_swap(provider: str, structured: bool) -> None:
    cfg = BackendConfig(structured_output=structured)
    pairs = [Pair("Pens?", RIGHT, WRONG, PRINCIPLE.comparison, "p1"), Pair("Pens?", WRONG, RIGHT, "Which?", "p2")]
    seen: list[dict[str, Any]] = []

    def logged(labeller):
        def answer(prompt: str, params: dict[str, Any]) -> str:
            seen.append(params)
            return labeller(prompt, params)

        return answer

    with LoopbackLLMServer(responder=logged(fair)) as server:
        labels = choose(pairs, _session(provider, server), cfg, 64, 3)
    assert [c.preferred for c in labels] == ["first", "second"]
    assert labels[0].votes == ("A", "B")  # the right side, in both slots
    assert {p.get("output") for p in seen} == ({"choice"} if structured else {None})
    assert {p.get("temperature", 0.0) for p in seen} == {0.0}  # (the Anthropic backend sends none)
    with LoopbackLLMServer(responder=biased) as server:
        labels = choose(pairs, _session(provider, server), cfg, 64, 3)
    assert [c.preferred for c in labels] == ["inconsistent", "inconsistent"]


def test_free_text_picks_are_read_and_nonsense_is_not() -> None:
    assert parse_pick("Response B is better because it multiplies.", None)[0] == "B"
    assert parse_pick("A.\nIt is right.", None)[0] == "A"
    assert parse_pick("(b)", None)[0] == "B"
    assert parse_pick("Both are fine.", None)[0] is None
    assert parse_pick("A bit of both.", None)[0] is None


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_revision_that_restates_or_fails_is_a_row_saying_so(provider: str) -> None:
    items = [
        Item("Pens?", WRONG, PRINCIPLE, "ok"),
        Item("Pens? UNCHANGED", WRONG, PRINCIPLE, "same"),
        Item("Pens?", "7 pens [[fault:400*9]]", PRINCIPLE, "broken"),
    ]
    with LoopbackLLMServer(responder=fair) as server:
        ok, same, broken = revise(items, _session(provider, server), BackendConfig(), 64, 3)
    assert ok.failure is None and ok.revision == RIGHT and "multiply" in ok.critique
    assert same.failure is not None and same.failure.startswith("revision: unchanged")
    assert broken.failure is not None and broken.failure.startswith("call: critique:") and not broken.revision


def _trace(task: str, n: int, response: str, verifier: str = "llm_judge", kept: bool = True, **more: Any) -> dict:
    return {
        "family": "general", "reference_answer": None, **more,
        "id": f"fil-{task}-{n}", "experiment": "e", "round": 0, "origin": "synthetic", "generator": "g:m",
        "prompt_hash": "ph", "parent_ids": [task], "task_id": task, "sample_index": n,
        "instruction": f"How many pens in {task}?", "input": "", "response": response, "verdict": "judged",
        "verifier": verifier, "kept": kept, "error": None, "evidence": "judge",
    }  # fmt: skip


FILTERED = pd.DataFrame(
    [
        _trace("t1", 0, WRONG),
        _trace("t1", 1, RIGHT),
        _trace("t2", 0, WRONG),
        _trace("t2", 1, WRONG, kept=False),
        # a task whose answer really is 7: its revision to 12 fails the check every trace gets
        _trace("t3", 0, f"{WRONG}\n#### 7", "math_reference", family="math", reference_answer="7"),
    ]
)


def _experiment(**feedback: Any):
    raw = {"name": "e", "regime": "accumulate", "seed": 3, "ai_feedback": {"revision_share": 1.0, **feedback}}
    return parse_experiments({"experiments": [raw]}, "test").experiments[0]


@pytest.mark.parametrize("drop", [False, True], ids=["kept", "judge_rejects_dropped"])
def test_pairs_reach_the_dpo_file_with_their_lineage(tmp_path: Path, drop: bool) -> None:
    exp = _experiment(comparison_share=1.0, drop_revisions_judge_rejects=drop)
    constitution = constitution_rows(PROJECT_DATA / "seeds", "run")
    scope = RowScope("ai_preferences", "e", 0, "run")
    with LoopbackLLMServer(responder=fair) as server, _session("openai", server) as model:
        revised = FILTERED.iloc[[0, 1, 2, 4]]
        rows = constitutional_rows(revised, principles(constitution), (model, model), exp, scope)
        rows += comparison_rows(to_compare(FILTERED, exp, 0), principles(constitution), model, exp, scope)
    feedback = pd.DataFrame(rows)
    # t1's two responses differ and nothing checked them: one RLAIF pair; t2's are the same text: none
    assert feedback["source"].value_counts().to_dict() == {"constitutional": 4, "ai_feedback": 1}
    revised = feedback[feedback["source"] == "constitutional"].set_index("first_id")
    assert revised.loc["fil-t1-1", "failure"].startswith("revision: unchanged")  # already right
    assert revised.loc["fil-t3-0", "failure"].startswith("revision: failed against ground truth")
    assert revised.loc["fil-t3-0", "preferred"] is None  # a wrong revision is not even shown to the labeller
    assert revised.loc["fil-t1-0", "preferred"] == "second" and revised.loc["fil-t1-0", "second"] == RIGHT
    principle_ids = set(constitution["id"])
    assert all(len(set(p) & principle_ids) == 1 for p in feedback["parent_ids"])  # each names its principle
    stats = preference_stats(feedback)
    assert revised.loc["fil-t2-0", "preferred"] == "inconsistent"
    assert stats["revisions_preferred"] == 0.5 and stats["constitutional_failed"] == 2

    scope = RowScope("preference_pairs", "e", 0, "run")
    pairs = preference_pairs(FILTERED, scope, feedback, drop_rejected_revisions=drop)
    revisions = 1 if drop else 2  # the vague revision the labeller did not prefer, left out or not
    assert pairs["source"].value_counts().to_dict() == {"constitutional": revisions, "ai_feedback": 1}
    rlaif = pairs[pairs["source"] == "ai_feedback"].iloc[0]
    assert (rlaif["chosen"], rlaif["rejected"], rlaif["chosen_id"]) == (RIGHT, WRONG, "fil-t1-1")
    for pair in pairs.to_dict("records"):
        [parent] = pair["parent_ids"]
        assert parent in set(feedback["id"])  # the ai_preferences row, which names both sides
    dpo = write_jsonl_and_parquet([dpo_record(r) for r in pairs.to_dict("records")], tmp_path / "dpo")
    loaded = datasets.load_dataset("parquet", data_files=str(dpo["parquet"]), split="train", cache_dir=str(tmp_path))
    assert sorted(loaded["source"]) == ["ai_feedback"] + ["constitutional"] * revisions
    assert {r[0]["content"] for r in loaded["chosen"]} == ({RIGHT} if drop else {RIGHT, VAGUE})
    assert set(loaded["principle_id"]) <= set(constitution["principle_id"])


@pytest.mark.parametrize("backend", ["student", "neural_student"])
def test_a_student_cannot_give_feedback(backend: str) -> None:
    raw = {
        "name": "e",
        "regime": "replace",
        "generator": {"backend": backend},
        "ai_feedback": {"revision_share": 0.5},
    }
    with pytest.raises(Exception, match="a student cannot critique"):
        parse_experiments({"experiments": [raw]}, "test")
