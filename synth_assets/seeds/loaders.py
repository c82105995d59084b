"""Load the human seed files (JSONL), reporting every malformed row by file, line and field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

INSTRUCTION_FILE = "instruction_tasks.jsonl"
MATH_FILE = "math_problems.jsonl"
_MAX_REPORTED = 20


class SeedFileError(ValueError):
    """One or more malformed seed rows; the message lists `file:line: field: problem`."""


class InstructionTask(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    id: str = Field(min_length=1)
    task_type: str = Field(min_length=1)
    instruction: str = Field(min_length=1)
    input: str = ""
    output: str = Field(min_length=1)


class MathProblem(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    solution: str = Field(min_length=1)
    answer: str = Field(min_length=1)

    @field_validator("answer")
    @classmethod
    def _numeric(cls, value: str) -> str:
        try:
            float(value.replace(",", ""))
        except ValueError:
            raise ValueError(f"must be a number, got {value!r}") from None
        return value


Record = TypeVar("Record", bound=BaseModel)


def load_jsonl(path: Path, model: type[Record]) -> list[Record]:
    """Validate every line before failing, so one run shows all the problems in a file."""
    if not path.exists():
        raise SeedFileError(f"{path}: seed file not found")
    records: list[Record] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{lineno}: not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(raw, dict):
            problems.append(f"{path}:{lineno}: expected a JSON object, got {type(raw).__name__}")
            continue
        try:
            record = model.model_validate(raw)
        except ValidationError as exc:
            problems.extend(
                f"{path}:{lineno}: field '{'.'.join(map(str, e['loc'])) or '?'}': {e['msg']}" for e in exc.errors()
            )
            continue
        rid = getattr(record, "id")  # noqa: B009 - every seed model has an id
        if rid in seen:
            problems.append(f"{path}:{lineno}: field 'id': duplicate id {rid!r} (first on line {seen[rid]})")
            continue
        seen[rid] = lineno
        records.append(record)
    if problems:
        more = f"\n... and {len(problems) - _MAX_REPORTED} more" if len(problems) > _MAX_REPORTED else ""
        raise SeedFileError(f"{len(problems)} malformed row(s):\n" + "\n".join(problems[:_MAX_REPORTED]) + more)
    return records


def load_instruction_tasks(folder: Path) -> list[InstructionTask]:
    return load_jsonl(folder / INSTRUCTION_FILE, InstructionTask)


def load_math_problems(folder: Path) -> list[MathProblem]:
    return load_jsonl(folder / MATH_FILE, MathProblem)
