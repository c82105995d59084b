"""DPO pairs from verified and rejected traces, and training files that load with `datasets`."""

from __future__ import annotations

from pathlib import Path

import datasets
import pandas as pd

from synth_assets.export.files import write_jsonl_and_parquet
from synth_assets.export.formats import dpo_record, sft_record
from synth_assets.stages.preference_pairs import preference_pairs
from synth_assets.stages.row_frames import RowScope


def _trace(task: str, n: int, verdict: str, kept: bool = True, verifier: str = "math_reference") -> dict:
    return {
        "id": f"fil-{task}-{n}",
        "experiment": "e",
        "round": 1,
        "origin": "synthetic",
        "generator": "llamacpp:m",
        "prompt_hash": "ph",
        "task_id": task,
        "sample_index": n,
        "instruction": f"What is {task}?",
        "input": "",
        "response": f"answer {n} to {task}",
        "verdict": verdict,
        "verifier": verifier,
        "kept": kept,
        "error": None,
        "evidence": f"{verdict} evidence",
    }


FILTERED = pd.DataFrame(
    [
        _trace("t1", 0, "passed"),
        _trace("t1", 1, "failed", kept=False),
        _trace("t1", 2, "no_answer", kept=False),
        _trace("t2", 0, "failed", kept=False),  # nothing chosen: no pair
        _trace("t3", 0, "passed"),  # nothing rejected: no pair
        _trace("t4", 0, "passed", kept=False),  # verified but dropped by the funnel: not chosen
        _trace("t4", 1, "failed", kept=False),
        _trace("t5", 0, "consistent", verifier="self_consistency"),  # agreement is not ground truth
        _trace("t5", 1, "inconsistent", verifier="self_consistency"),
    ]
)


def test_pairs_join_a_verified_trace_to_each_rejected_one_of_the_same_task() -> None:
    pairs = preference_pairs(FILTERED, RowScope("preference_pairs", "e", 1, "run"))
    assert pairs["task_id"].tolist() == ["t1", "t1"]
    assert pairs["chosen_id"].tolist() == ["fil-t1-0", "fil-t1-0"]
    assert pairs["rejected_id"].tolist() == ["fil-t1-1", "fil-t1-2"]
    assert [sorted(p) for p in pairs["parent_ids"]] == [["fil-t1-0", "fil-t1-1"], ["fil-t1-0", "fil-t1-2"]]
    assert pairs["rejected_evidence"].tolist() == ["failed evidence", "no_answer evidence"]
    assert pairs["id"].is_unique


def test_files_load_with_hugging_face_datasets(tmp_path: Path) -> None:
    pairs = preference_pairs(FILTERED, RowScope("preference_pairs", "e", 1, "run"))
    mix = FILTERED.assign(origin=["human"] + ["synthetic"] * (len(FILTERED) - 1))
    sft = write_jsonl_and_parquet([sft_record(r) for r in mix.to_dict("records")], tmp_path / "sft")
    dpo = write_jsonl_and_parquet([dpo_record(r) for r in pairs.to_dict("records")], tmp_path / "dpo")
    for fmt in ("jsonl", "parquet"):
        builder = "json" if fmt == "jsonl" else "parquet"
        loaded = datasets.load_dataset(builder, data_files=str(sft[fmt]), split="train", cache_dir=str(tmp_path / "hf"))
        assert len(loaded) == len(mix)
        assert loaded[0]["messages"] == [
            {"role": "user", "content": "What is t1?"},
            {"role": "assistant", "content": "answer 0 to t1"},
        ]
        preference = datasets.load_dataset(
            builder, data_files=str(dpo[fmt]), split="train", cache_dir=str(tmp_path / "hf")
        )
        assert preference.column_names[:4] == ["id", "prompt", "chosen", "rejected"]
        assert preference[1]["rejected"] == [{"role": "assistant", "content": "answer 2 to t1"}]
    assert not list(tmp_path.glob("*.tmp"))


def test_no_records_leave_no_file(tmp_path: Path) -> None:
    (tmp_path / "dpo.jsonl").write_text("stale\n")
    assert write_jsonl_and_parquet([], tmp_path / "dpo") == {}
    assert not (tmp_path / "dpo.jsonl").exists()
