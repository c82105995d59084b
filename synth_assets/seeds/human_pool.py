"""Turn validated human seed records into rows that follow the row contract."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from synth_assets.core.rows import contract, row_id
from synth_assets.seeds.code_snippets import load_snippets, python_version
from synth_assets.seeds.humaneval import SOURCE as HUMANEVAL_SOURCE
from synth_assets.seeds.humaneval import humaneval_tasks
from synth_assets.seeds.loaders import (
    CONSTITUTION_FILE,
    CURRICULUM_FILE,
    INSTRUCTION_FILE,
    MATH_FILE,
    PERSONA_FILE,
    load_constitution,
    load_curriculum,
    load_instruction_tasks,
    load_math_problems,
    load_personas,
)
from synth_assets.stages import schemas


def human_contract(stage: str, content: dict, run_id: str) -> dict:
    """The contract columns of a human row: no partition, no parents, no generator; the id from
    the table's name and the content, so the same file gives the same ids."""
    return contract(None, None, row_id(stage, None, None, [], content), [], "human", None, None, run_id)


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
                **human_contract(stage, content, run_id),
                **content,
                "recipe": "human",
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
                **human_contract(stage, content, run_id),
                **content,
                "recipe": "human",
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
                **human_contract(stage, content, run_id),
                **content,
                "recipe": "human",
                "source_ref": f"{HUMANEVAL_SOURCE}#{task['id']}",
            }
        )
    return pd.DataFrame(rows, columns=schemas.column_names(schemas.HUMAN_SEEDS))


def persona_rows(folder: Path, run_id: str) -> pd.DataFrame:
    """The personas file as rows with the contract: lineage roots, like the human seeds."""
    rows = []
    for persona in load_personas(folder):
        content = {"persona": persona.persona}
        rows.append(
            {
                **human_contract("personas", content, run_id),
                **content,
                "source_ref": f"{folder.name}/{PERSONA_FILE}#{persona.id}",
            }
        )
    return pd.DataFrame(rows, columns=schemas.column_names(schemas.PERSONAS))


def constitution_rows(folder: Path, run_id: str) -> pd.DataFrame:
    """The constitution's principles as rows with the contract: the lineage root of every
    critique, revision and AI-feedback label made under one of them."""
    rows = []
    for p in load_constitution(folder):
        content = {"principle_id": p.id, "critique": p.critique, "revision": p.revision, "comparison": p.comparison}
        rows.append(
            {
                **human_contract("constitution", content, run_id),
                **content,
                "source_ref": f"{folder.name}/{CONSTITUTION_FILE}#{p.id}",
            }
        )
    return pd.DataFrame(rows, columns=schemas.column_names(schemas.CONSTITUTION))


def curriculum_rows(folder: Path, run_id: str) -> pd.DataFrame:
    """The curriculum ladder as rows with the contract, one per (subject, topic, level)."""
    rows = []
    for lesson in load_curriculum(folder):
        content = {"subject": lesson.subject, "topic": lesson.topic, "level": lesson.level}
        rows.append(
            {
                **human_contract("curriculum", content, run_id),
                **content,
                "level_name": lesson.level_name,
                "source_ref": f"{folder.name}/{CURRICULUM_FILE}#{lesson.id}",
            }
        )
    return pd.DataFrame(rows, columns=schemas.column_names(schemas.CURRICULUM))


def code_snippet_rows(run_id: str, root: Path | None = None) -> pd.DataFrame:
    """The standard library's functions as rows with the contract; file and line are provenance."""
    version = python_version()
    rows = []
    for s in load_snippets(root):
        content = {"module": s.module, "function": s.function, "source": s.source, "python_version": version}
        rows.append(
            {
                **contract(
                    None, None, row_id("code_snippets", None, None, [], content), [], "human", None, None, run_id
                ),
                **content,
                "file": s.file,
                "line": s.line,
            }
        )
    return pd.DataFrame(rows, columns=schemas.column_names(schemas.CODE_SNIPPETS))


def recipe_input_rows(folder: Path, run_id: str) -> dict[str, pd.DataFrame]:
    """Every input table a recipe or the feedback stage reads, by name, for runs outside Dagster
    (benchmarks, notebooks)."""
    return {
        "personas": persona_rows(folder, run_id),
        "curriculum": curriculum_rows(folder, run_id),
        "code_snippets": code_snippet_rows(run_id),
        "constitution": constitution_rows(folder, run_id),
    }
