"""Persona-driven generation (Persona Hub, Ge et al. 2024): the same task family written from many
points of view, the published answer to the loss of diversity that model collapse is about.

Each call shows a few pool tasks as a numbered list headed by who is asking ("Come up with a
series of tasks that a night-shift nurse who is new to the job would ask") and takes the items the
model continues with. Personas come from the `personas` input (a shipped file); a share of calls
first grows a new persona from a pool task, as Persona Hub's text-to-persona step does ("who is
likely to ask this?"), and then writes as it. A task's parents are its persona's row (or, for a
grown persona, the pool task it was grown from) and the pool tasks shown.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from synth_assets.core.rows import content_hash
from synth_assets.core.seeding import derived_rng, derived_seed
from synth_assets.generate.recipes.base import (
    Draft,
    PersonaRow,
    Recipe,
    RecipeContext,
    call_failure,
    input_records,
    new_tasks,
)
from synth_assets.generate.roles import recipe_request, structured
from synth_assets.generate.self_instruct import (
    CHAT_SYSTEM,
    JSON_SYSTEM,
    NEW_TASKS,
    InContextExample,
    json_prompt,
    parse_items,
)
from synth_assets.llm.base import GenerationRequest
from synth_assets.llm.structured import answer_text, strings

NAME = "persona"
SHOTS = 3
_GROW_SYSTEM = "You describe people. Reply with one sentence that describes a person, and nothing else."
_ARTICLE = re.compile(r"^(a|an|the)\s", re.IGNORECASE)
PERSONA = strings("persona", person=200)


def task_prompt(persona: str, shots: list[InContextExample]) -> str:
    lines = [f"Come up with a series of tasks that {persona} would ask an AI assistant:", ""]
    lines += [f"{i}. {' '.join(s.instruction.split())}" for i, s in enumerate(shots, start=1)]
    lines.append(f"{len(shots) + 1}.")
    return "\n".join(lines)


def task_json_prompt(persona: str, shots: list[InContextExample]) -> str:
    header = f"Come up with a series of tasks that {persona} would ask an AI assistant:"
    return json_prompt(header, [s.instruction for s in shots])


def grow_prompt(task: str, as_json: bool = False) -> str:
    question = "Who is likely to ask an AI assistant the following task? Describe that person in one sentence."
    task_line = f"Task: {' '.join(task.split())}"
    if as_json:
        return f'{question}\n\n{task_line}\nAnswer as {{"person": "a ..."}}.'
    return f"{question}\n\n{task_line}\nThe person: a"


def parse_persona(text: str) -> str:
    """`a` plus the first line the model wrote, up to its first full stop; empty if nothing usable."""
    line = next((ln.strip().strip('"') for ln in text.splitlines() if ln.strip()), "")
    line = re.split(r"(?<=[a-z])\.\s", line + " ", maxsplit=1)[0].strip().rstrip(".")
    if len(line.split()) < 2:
        return ""
    if line.startswith("n "):  # the prompt ends in "a": "n art teacher" continues it to "an art teacher"
        return f"a{line}"
    return line if _ARTICLE.match(line) else f"a {line}"


def write(ctx: RecipeContext, target: int) -> list[Draft]:
    cfg = ctx.exp.persona
    if not ctx.examples or target <= 0:
        return []
    shipped = personas_of(ctx.inputs.get("personas"))
    calls = math.ceil(target / cfg.tasks_per_call)
    rng = derived_rng(ctx.exp.seed, ctx.round_, NAME, "plan")
    grown_calls = [i for i in range(calls) if not shipped or rng.random() < cfg.grown_share]
    out: list[Draft] = []
    who = _grow(ctx, grown_calls, out)
    for index in range(calls):
        if index not in who and index not in grown_calls:
            who[index] = shipped[derived_rng(ctx.exp.seed, ctx.round_, NAME, index).randrange(len(shipped))]
    requests = {i: _task_request(ctx, i, persona) for i, persona in sorted(who.items())}
    results = ctx.generator.generate([r for _, r in requests.values()], ctx.progress)
    tasks = 0
    for (index, (shots, request)), result in zip(requests.items(), results, strict=True):
        persona = who[index]
        params = {"persona_id": persona.id, "persona": persona.text, "persona_source": persona.source}
        parents = (persona.parent, *(s.id for s in shots))
        items = parse_items(request, result, len(shots) + 1, ctx.generator.raw_continuation)
        if not items:
            out.append(call_failure(NAME, ctx.family, parents, request.prompt, result, "no task", params))
            continue
        drafts = new_tasks(ctx, NAME, items[: cfg.tasks_per_call], target - tasks, (parents, request.prompt, params))
        out += drafts
        tasks += sum(d.is_task for d in drafts)
    return out


def personas_of(df: pd.DataFrame | None) -> list[PersonaRow]:
    """The `personas` input as personas: the file's id, the text, the row for lineage."""
    records = input_records(df, ["id", "persona", "source_ref"])
    return [PersonaRow(ref.rsplit("#", 1)[-1], text, row_id) for row_id, text, ref in records]


def _grow(ctx: RecipeContext, indices: list[int], out: list[Draft]) -> dict[int, PersonaRow]:
    """Text-to-persona for these calls; a call whose persona could not be grown gets none (and a
    failure row), so it is not sent."""
    if not indices:
        return {}
    cfg = ctx.exp.generator
    as_json = structured(ctx.generator, cfg)
    sources = {i: derived_rng(ctx.exp.seed, ctx.round_, NAME, "grow", i).choice(ctx.examples) for i in indices}
    requests = [
        recipe_request(
            cfg,
            grow_prompt(sources[i].instruction, as_json),
            _GROW_SYSTEM,
            PERSONA if as_json else None,
            ("\n",),
            48,
            derived_seed(ctx.exp.seed + cfg.seed, ctx.round_, NAME, "grow", i),
        )
        for i in indices
    ]
    grown: dict[int, PersonaRow] = {}
    for i, request, result in zip(indices, requests, ctx.generator.generate(requests, ctx.progress), strict=True):
        text = parse_persona(answer_text(request.output, result.text, "person")) if result.ok else ""
        source = sources[i]
        if not text:
            params = {"persona_source": "grown", "grown_from": source.id}
            out.append(call_failure(NAME, ctx.family, (source.id,), request.prompt, result, "no persona", params))
            continue
        grown[i] = PersonaRow(f"grown-{content_hash(text, length=8)}", text, source.id, "grown")
    return grown


def _task_request(
    ctx: RecipeContext, index: int, persona: PersonaRow
) -> tuple[list[InContextExample], GenerationRequest]:
    exp, cfg = ctx.exp, ctx.exp.generator
    shots = derived_rng(exp.seed, ctx.round_, NAME, "shots", index).sample(ctx.examples, min(SHOTS, len(ctx.examples)))
    as_json = structured(ctx.generator, cfg, task_list=True)
    request = recipe_request(
        cfg,
        task_json_prompt(persona.text, shots) if as_json else task_prompt(persona.text, shots),
        JSON_SYSTEM if as_json else CHAT_SYSTEM,
        NEW_TASKS if as_json else None,
        ("\n\n",),
        cfg.instruction_max_tokens,
        derived_seed(exp.seed + cfg.seed, ctx.round_, NAME, index),
    )
    return shots, request


RECIPE = Recipe(
    NAME,
    "tasks written as one of many personas (shipped, or grown from pool tasks)",
    ("general",),
    write,
    ("personas",),
)
