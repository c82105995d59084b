"""Turn validated human seed records into rows that follow the row contract."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from synth_assets.core.rows import contract, row_id
from synth_assets.seeds.humaneval import SOURCE as HUMANEVAL_SOURCE
from synth_assets.seeds.humaneval import humaneval_tasks
from synth_assets.seeds.loaders import (
    INSTRUCTION_FILE,
    MATH_FILE,
    load_instruction_tasks,
    load_math_problems,
)
from synth_assets.stages import schemas


def human_rows(folder: Path, run_id: str, stage: str, code_tasks: int = 0) -> pd.DataFrame:
    """All human rows of one folder (seeds or held-out), instruction tasks, math problems, then
    `code_tasks` HumanEval problems (their tests as the reference)."""
    rows = []
    for task in load_instruction_tasks(folder):
        content = {
            "family": "general",
            "task_type": task.task_type,
            "instruction": task.instruction,
            "input": task.input,
            "reference_answer": None,
            "response": task.output,
        }
        rows.append(
            {
                **contract(None, None, row_id(stage, None, None, [], content), [], "human", None, None, run_id),
                **content,
                "source_ref": f"{folder.name}/{INSTRUCTION_FILE}#{task.id}",
            }
        )
    for problem in load_math_problems(folder):
        content = {
            "family": "math",
            "task_type": "math",
            "instruction": problem.question,
            "input": "",
            "reference_answer": problem.answer,
            "response": problem.solution,
        }
        rows.append(
            {
                **contract(None, None, row_id(stage, None, None, [], content), [], "human", None, None, run_id),
                **content,
                "source_ref": f"{folder.name}/{MATH_FILE}#{problem.id}",
            }
        )
    for task in humaneval_tasks(code_tasks):
        content = {
            "family": "code",
            "task_type": "code",
            "instruction": task["prompt"],
            "input": "",
            "reference_answer": task["tests"],
            "response": task["solution"],
        }
        rows.append(
            {
                **contract(None, None, row_id(stage, None, None, [], content), [], "human", None, None, run_id),
                **content,
                "source_ref": f"{HUMANEVAL_SOURCE}#{task['id']}",
            }
        )
    return pd.DataFrame(rows, columns=schemas.column_names(schemas.HUMAN_SEEDS))
