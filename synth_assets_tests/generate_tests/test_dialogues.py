"""Multi-turn dialogues through both official SDKs against the loopback server: the simulated
user's follow-up and the assistant's answer alternate on the wire as real multi-turn messages,
each follow-up makes the move it was drawn, a turn that comes back empty stops its dialogue with
the reason, and complete conversations export as `messages` that `datasets` loads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import datasets
import pandas as pd
import pytest

from synth_assets.config.experiments import GeneratorConfig, parse_experiments
from synth_assets.export.files import write_jsonl_and_parquet
from synth_assets.export.formats import dialogue_sft_record
from synth_assets.generate.dialogue.conversation import MOVES, Dialogue, grow
from synth_assets.llm.session import GenerationSession
from synth_assets.llm.tools import Turn
from synth_assets.stages.dialogues import converse
from synth_assets.stages.row_frames import RowScope
from synth_assets_tests.llm_tests.remote import PROVIDERS, backend
from synth_assets_tests.support.loopback_server import LoopbackLLMServer, reply

FOLLOW_UP = {move: f"User move {move}: {text}" for move, text in MOVES.items()}


def talker(prompt: str, params: dict[str, Any]) -> str:
    """The simulator makes the move it is told; the assistant says how many user turns it saw."""
    if "### Your next message" in prompt:
        if "SILENT" in prompt:
            return reply(params, "", message="")
        move = next(m for m, text in MOVES.items() if text in prompt)
        return reply(params, FOLLOW_UP[move], message=FOLLOW_UP[move])
    users = 1 + sum(t["role"] == "user" for t in params.get("turns", []))
    return f"Answer to user turn {users}."


def _dialogues() -> list[Dialogue]:
    return [Dialogue("d1", "Plan a picnic.", [Turn("assistant", "Bring bread.")]),
            Dialogue("d2", "SILENT task.", [Turn("assistant", "Done.")])]  # fmt: skip


@pytest.mark.parametrize("provider", PROVIDERS)
def test_follow_ups_and_answers_alternate_on_the_wire(provider: str) -> None:
    with LoopbackLLMServer(responder=talker) as server:
        talk, silent = grow(_dialogues(), GenerationSession(backend(provider, server), None), GeneratorConfig(), 2, 3)
        refused = [e for e in server.log.entries if e.get("status") == 400]
    assert not refused
    assert [t.role for t in talk.turns] == ["assistant", "user", "assistant", "user", "assistant"]
    assert [t.content for t in talk.turns[2::2]] == ["Answer to user turn 2.", "Answer to user turn 3."]
    assert len(talk.moves) == 2 and all(talk.turns[1 + 2 * i].content == FOLLOW_UP[m] for i, m in enumerate(talk.moves))
    assert talk.failure is None
    # held to {"message"} with a non-empty string: asked again, then the row says why
    assert silent.failure is not None and silent.failure.startswith("call: user turn 1: malformed_response")


def test_complete_dialogues_load_with_hugging_face_datasets(tmp_path: Path) -> None:
    exp = parse_experiments({"experiments": [{"name": "e", "regime": "accumulate", "dialogue": {"share": 1.0}}]},
                            "test").experiments[0]  # fmt: skip
    traces = pd.DataFrame([
        {"id": f"fil-{i}", "task_id": f"t{i}", "family": "general", "task_type": "writing", "instruction": text,
         "input": "", "reference_answer": None, "recipe": "self_instruct", "response": "A first answer."}
        for i, text in enumerate(["Plan a picnic.", "SILENT task.", "Name a river."])
    ])  # fmt: skip
    with LoopbackLLMServer(responder=talker) as server:
        df = converse(
            traces, exp, RowScope("dialogues", "e", 0, "run"), GenerationSession(backend("openai", server), None)
        )
    assert df["failure"].notna().tolist() == [False, True, False]
    assert df["user_turns"].tolist()[::2] == [3, 3] and [p for p in df["parent_ids"]] == [
        ["fil-0"],
        ["fil-1"],
        ["fil-2"],
    ]
    complete = df[df["failure"].isna()].to_dict("records")
    files = write_jsonl_and_parquet([dialogue_sft_record(r) for r in complete], tmp_path / "dialogue_sft")
    loaded = datasets.load_dataset("parquet", data_files=str(files["parquet"]), split="train", cache_dir=str(tmp_path))
    assert [m["role"] for m in loaded[0]["messages"]] == ["user", "assistant"] * 3
    assert json.loads(df.iloc[0]["moves"]) == loaded[0]["moves"]
