"""Textbook curriculum (after Phi-4's "textbook-like" data, Microsoft 2024): for each rung of a
subject x topic x level ladder (`data/seeds/curriculum.yaml`, the `curriculum` input), a short
lesson, one exercise and its answer. The exercise is the task, the lesson its input; the answer
the model gave is kept in the row's parameters, not as ground truth (a model's own answer
verifies nothing; math exercises are checked by self-consistency like any math without a
reference). Rounds climb the ladder: round r starts where round r-1 stopped, level by level.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pandas as pd

from synth_assets.core.seeding import derived_seed
from synth_assets.generate.recipes.base import Draft, Recipe, RecipeContext, call_failure, input_records
from synth_assets.generate.roles import recipe_request, structured
from synth_assets.llm.base import Generation, GenerationRequest
from synth_assets.llm.structured import fields, strings

NAME = "curriculum"
# One worked section shows the format; the second is used when the first's topic is the one asked.
_EXAMPLES = (
    (
        "reasoning",
        "comparing options",
        "beginner",
        "To compare two options, list what each one costs and what each one gives you. The better option "
        "gives more for what it costs.",
        "A box of 6 pencils costs $3 and a box of 10 pencils costs $4. Which box gives more pencils for each dollar?",
        "The box of 10: it gives 2.5 pencils a dollar, the box of 6 gives 2.",
    ),
    (
        "math",
        "percentages",
        "beginner",
        "A percentage is a number of hundredths: 25% means 25 of every 100. To take a percentage of an "
        "amount, multiply the amount by the percentage and divide by 100.",
        "A jacket costs $80 and is 25% off. How many dollars do you save?",
        "20",
    ),
)
HEADER = "Below are sections of textbooks: each a short lesson, one exercise for the reader and its answer."
SYSTEM = (
    "You write textbook sections. Reply in exactly this form: a short lesson after 'Lesson:', one exercise "
    "after 'Exercise:' and its answer after 'Answer:'."
)
JSON_SYSTEM = "You write textbook sections as JSON: a short lesson, one exercise and its answer."
SECTION = strings("textbook_section", lesson=400, exercise=240, answer=120)
_PARTS = re.compile(r"^(.*?)\n?\s*Exercise:\s*(.+?)\n?\s*Answer:\s*(.+?)\s*$", re.DOTALL)


@dataclass(frozen=True)
class Rung:
    row_id: str
    subject: str
    topic: str
    level: int
    level_name: str


def ladder(df: pd.DataFrame | None) -> list[Rung]:
    """The `curriculum` input's rows, lowest level first (then by subject and topic)."""
    records = input_records(df, ["id", "subject", "topic", "level", "level_name"], order=["level", "source_ref"])
    return [Rung(r, s, t, int(level), name) for r, s, t, level, name in records]


def build_prompt(rung: Rung, as_json: bool = False) -> str:
    example = next(e for e in _EXAMPLES if e[1] != rung.topic)
    subject, topic, level, lesson, exercise, answer = example
    shown_rung = f"{HEADER}\n\nSubject: {subject}. Topic: {topic}. Level: {level}."
    asked = f"Subject: {rung.subject}. Topic: {rung.topic}. Level: {rung.level_name}."
    if as_json:
        shown = json.dumps({"lesson": lesson, "exercise": exercise, "answer": answer})
        return f"{shown_rung}\n{shown}\n\n{asked}\nIn the same JSON form."
    return f"{shown_rung}\nLesson: {lesson}\nExercise: {exercise}\nAnswer: {answer}\n\n{asked}\nLesson:"


def read(request: GenerationRequest, result: Generation) -> tuple[str, str, str] | None:
    """(lesson, exercise, answer) from either kind of answer."""
    if not result.ok:
        return None
    if request.output is None:
        return parse(result.text)
    value = fields(result.text, request.output)
    parts = tuple(" ".join(str(value[k]).split()) for k in ("lesson", "exercise", "answer")) if value else ()
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 and all(parts) else None


def parse(text: str) -> tuple[str, str, str] | None:
    """(lesson, exercise, answer), each on its own; None when a part is missing or empty."""
    body = text.split("\nSubject:", 1)[0]
    match = _PARTS.match(body.strip())
    if not match:
        return None
    lesson, exercise, answer = (" ".join(part.split()) for part in match.groups())
    answer = answer.split(" Subject:", 1)[0]
    return (lesson, exercise, answer) if lesson and exercise and answer else None


def write(ctx: RecipeContext, target: int) -> list[Draft]:
    rungs = ladder(ctx.inputs.get("curriculum"))
    if not rungs or target <= 0:
        return []
    start = (ctx.round_ * target) % len(rungs)  # each round takes up where the last one stopped
    chosen = [rungs[(start + i) % len(rungs)] for i in range(target)]
    requests = [_request(ctx, rung, i) for i, rung in enumerate(chosen)]
    out: list[Draft] = []
    for rung, request, result in zip(chosen, requests, ctx.generator.generate(requests, ctx.progress), strict=True):
        params = {"subject": rung.subject, "topic": rung.topic, "level": rung.level, "level_name": rung.level_name}
        parts = read(request, result)
        if parts is None:
            out.append(call_failure(NAME, ctx.family, (rung.row_id,), request.prompt, result, "no lesson", params))
            continue
        lesson, exercise, answer = parts
        if ctx.accept(exercise):
            family = "math" if rung.subject == "math" else "general"
            draft_params = {**params, "answer": answer}
            out.append(Draft(NAME, family, exercise, (rung.row_id,), request.prompt, draft_params, input=lesson))
    return out


def _request(ctx: RecipeContext, rung: Rung, index: int) -> GenerationRequest:
    exp, cfg = ctx.exp, ctx.exp.generator
    as_json = structured(ctx.generator, cfg)
    return recipe_request(
        cfg,
        build_prompt(rung, as_json),
        JSON_SYSTEM if as_json else SYSTEM,
        SECTION if as_json else None,
        ("\nSubject:", "\n\n\n"),
        max(cfg.instruction_max_tokens, 200),
        derived_seed(exp.seed + cfg.seed, ctx.round_, NAME, rung.row_id, index),
    )


DESCRIPTION = "a textbook lesson, an exercise and its answer for each rung of a subject x topic x level ladder"
RECIPE = Recipe(NAME, DESCRIPTION, ("general", "math"), write, ("curriculum",))
