"""Load the human seed files (JSONL), reporting every malformed row by file, line and field."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from synth_assets.config.input_files import UniqueKeyLoader, read_text_file

INSTRUCTION_FILE = "instruction_tasks.jsonl"
MATH_FILE = "math_problems.jsonl"
PERSONA_FILE = "personas.jsonl"
CONSTITUTION_FILE = "constitution.jsonl"
_MAX_REPORTED = 20


class SeedFileError(ValueError):
    """One or more malformed seed rows; the message lists `file:line: field: problem`, one a line."""


MAX_TEXT = 20_000  # characters in one field: a long worked solution fits; a pasted file does not
_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}$"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("is only whitespace")
    return value


class _Seed(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True, str_max_length=MAX_TEXT)


class InstructionTask(_Seed):
    id: str = Field(pattern=_ID)
    task_type: str = Field(min_length=1, max_length=64)
    instruction: str = Field(min_length=1)
    input: str = ""
    output: str = Field(min_length=1)

    _blank = field_validator("task_type", "instruction", "output")(_not_blank)


class MathProblem(_Seed):
    id: str = Field(pattern=_ID)
    question: str = Field(min_length=1)
    solution: str = Field(min_length=1)
    answer: str = Field(min_length=1, max_length=64)

    _blank = field_validator("question", "solution")(_not_blank)

    @field_validator("answer")
    @classmethod
    def _numeric(cls, value: str) -> str:
        try:
            number = float(value.replace(",", ""))
        except ValueError:
            raise ValueError(f"must be a number, got {value!r}") from None
        if not math.isfinite(number):
            raise ValueError(f"must be a finite number, got {value!r}")
        return value


class Persona(_Seed):
    """Who the `persona` recipe writes tasks as: one sentence describing a person."""

    id: str = Field(pattern=_ID)
    persona: str = Field(min_length=1, max_length=300)

    _blank = field_validator("persona")(_not_blank)


class Principle(_Seed):
    """One principle of the constitution (Bai et al. 2022): how to critique a response against it,
    how to revise the response to meet it, and how to ask which of two responses meets it better
    (the AI-feedback label). Its id is what every preference row made under it records."""

    id: str = Field(pattern=_ID)
    critique: str = Field(min_length=1, max_length=500)
    revision: str = Field(min_length=1, max_length=500)
    comparison: str = Field(min_length=1, max_length=500)

    _blank = field_validator("critique", "revision", "comparison")(_not_blank)


Record = TypeVar("Record", bound=BaseModel)


def load_jsonl(path: Path, model: type[Record]) -> list[Record]:
    """Validate every line before failing, so one run shows all the problems in a file."""
    text = read_text_file(path, "seed file", SeedFileError)
    records: list[Record] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
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
    if problems:  # one line a problem, each naming file, line and field
        more = [f"{path}: ... and {len(problems) - _MAX_REPORTED} more"] if len(problems) > _MAX_REPORTED else []
        raise SeedFileError("\n".join(problems[:_MAX_REPORTED] + more))
    return records


def load_instruction_tasks(folder: Path) -> list[InstructionTask]:
    return load_jsonl(folder / INSTRUCTION_FILE, InstructionTask)


def load_math_problems(folder: Path) -> list[MathProblem]:
    return load_jsonl(folder / MATH_FILE, MathProblem)


def load_personas(folder: Path) -> list[Persona]:
    return load_jsonl(folder / PERSONA_FILE, Persona)


def load_constitution(folder: Path) -> list[Principle]:
    return load_jsonl(folder / CONSTITUTION_FILE, Principle)


CURRICULUM_FILE = "curriculum.yaml"


class _Ladder(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    levels: list[str] = Field(min_length=1, max_length=10)
    subjects: dict[str, list[str]] = Field(min_length=1)

    @field_validator("levels")
    @classmethod
    def _levels(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value) or any(not v.strip() for v in value):
            raise ValueError("levels must be distinct, non-blank names")
        return value

    @field_validator("subjects")
    @classmethod
    def _topics(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for subject, topics in value.items():
            if not topics or any(not t.strip() for t in topics) or len(set(topics)) != len(topics):
                raise ValueError(f"{subject}: needs distinct, non-blank topics")
        return value


@dataclass(frozen=True)
class Lesson:
    """One rung of the ladder: a topic of a subject at a level (1 = the first level)."""

    subject: str
    topic: str
    level: int
    level_name: str

    @property
    def id(self) -> str:
        return f"{self.subject}/{self.topic}/{self.level}"


def load_curriculum(folder: Path) -> list[Lesson]:
    """Every (subject, topic, level) of the ladder file, levels climbing in the order given."""
    path = folder / CURRICULUM_FILE
    text = read_text_file(path, "curriculum file", SeedFileError)
    try:
        raw = yaml.load(text, Loader=UniqueKeyLoader)
        ladder = _Ladder.model_validate(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{mark.line + 1}:" if mark else ""
        raise SeedFileError(f"{path}:{where} not valid YAML: {getattr(exc, 'problem', exc)}") from None
    except ValidationError as exc:
        raise SeedFileError(
            "\n".join(f"{path}: field '{'.'.join(map(str, e['loc'])) or '?'}': {e['msg']}" for e in exc.errors())
        ) from None
    return [
        Lesson(subject, topic, n, name)
        for n, name in enumerate(ladder.levels, start=1)
        for subject, topics in ladder.subjects.items()
        for topic in topics
    ]
