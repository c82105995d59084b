import json
from pathlib import Path

import pytest

from synth_assets.seeds.human_pool import human_rows
from synth_assets.seeds.loaders import (
    InstructionTask,
    SeedFileError,
    load_instruction_tasks,
    load_jsonl,
    load_math_problems,
)
from synth_assets_tests.support.paths import PROJECT_DATA

DATA = PROJECT_DATA


def test_project_seeds_meet_the_size_and_variety_bar() -> None:
    tasks = load_instruction_tasks(DATA / "seeds")
    problems = load_math_problems(DATA / "seeds")
    assert len(tasks) >= 150 and len(problems) >= 150
    types = {t.task_type for t in tasks}
    assert {"writing", "classification", "extraction", "reasoning", "coding", "brainstorming", "rewriting"} <= types


def test_math_references_match_the_worked_solution() -> None:
    for p in load_math_problems(DATA / "seeds") + load_math_problems(DATA / "heldout"):
        assert p.solution.strip().endswith(f"#### {p.answer}"), p.id


def test_heldout_is_disjoint_from_seeds() -> None:
    seeds = human_rows(DATA / "seeds", "r", "human_seeds")
    held = human_rows(DATA / "heldout", "r", "heldout_human")
    assert len(held) > 0
    key = lambda df: set(zip(df["instruction"], df["input"], strict=True))  # noqa: E731
    assert not key(seeds) & key(held)


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "instruction_tasks.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_malformed_rows_are_all_reported_with_file_line_and_field(tmp_path: Path) -> None:
    good = {"id": "a", "task_type": "writing", "instruction": "Write.", "output": "Done."}
    path = _write(
        tmp_path,
        [
            json.dumps(good),
            "{not json",
            json.dumps({**good, "id": "b", "instruction": ""}),
            json.dumps({"id": "c", "task_type": "x", "instruction": "y"}),
            json.dumps({**good}),
            "[1, 2]",
        ],
    )
    with pytest.raises(SeedFileError) as err:
        load_jsonl(path, InstructionTask)
    msg = str(err.value)
    assert len(msg.splitlines()) == 5  # one line a problem
    assert f"{path}:2: not valid JSON" in msg
    assert f"{path}:3: field 'instruction'" in msg
    assert f"{path}:4: field 'output': Field required" in msg
    assert f"{path}:5: field 'id': duplicate id 'a' (first on line 1)" in msg
    assert f"{path}:6: expected a JSON object" in msg


def test_non_numeric_math_answer_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "math_problems.jsonl").write_text(
        json.dumps({"id": "m", "question": "q", "solution": "s", "answer": "seven"}) + "\n"
    )
    with pytest.raises(SeedFileError, match=r"math_problems.jsonl:1: field 'answer': .*must be a number"):
        load_math_problems(tmp_path)


def test_human_rows_follow_the_row_contract() -> None:
    df = human_rows(DATA / "seeds", "run-1", "human_seeds")
    assert df["id"].is_unique
    assert set(df["origin"]) == {"human"}
    assert df["generator"].isna().all() and (df["run_id"] == "run-1").all()
    assert df.loc[df["family"] == "math", "reference_answer"].notna().all()
    assert df["source_ref"].str.contains("#").all()
