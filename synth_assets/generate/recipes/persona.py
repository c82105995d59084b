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
from synth_assets.generate.recipes.base import Draft, PersonaRow, Recipe, RecipeContext, call_failure, input_records
from synth_assets.generate.roles import with_role
from synth_assets.generate.self_instruct import CHAT_SYSTEM, InContextExample, parse_continuation
from synth_assets.llm.base import GenerationRequest

NAME = "persona"
SHOTS = 3
_GROW_SYSTEM = "You describe people. Reply with one sentence that describes a person, and nothing else."
_ARTICLE = re.compile(r"^(a|an|the)\s", re.IGNORECASE)


def task_prompt(persona: str, shots: list[InContextExample]) -> str:
    lines = [f"Come up with a series of tasks that {persona} would ask an AI assistant:", ""]
    lines += [f"{i}. {' '.join(s.instruction.split())}" for i, s in enumerate(shots, start=1)]
    lines.append(f"{len(shots) + 1}.")
    return "\n".join(lines)


def grow_prompt(task: str) -> str:
    return (
        "Who is likely to ask an AI assistant the following task? Describe that person in one sentence.\n\n"
        f"Task: {' '.join(task.split())}\nThe person: a"
    )


def parse_persona(text: str) -> str:
    """`a` plus the first line the model wrote, up to its first full stop; empty if nothing usable."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
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
        items = parse_continuation(result, len(shots) + 1, ctx.generator.raw_continuation) if result.ok else []
        if not items:
            out.append(call_failure(NAME, ctx.family, parents, request.prompt, result, "no numbered item", params))
            continue
        for item in items[: cfg.tasks_per_call]:
            if tasks < target and ctx.accept(item):
                out.append(Draft(NAME, ctx.family, item, parents, request.prompt, params))
                tasks += 1
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
    sources = {i: derived_rng(ctx.exp.seed, ctx.round_, NAME, "grow", i).choice(ctx.examples) for i in indices}
    requests = [
        with_role(
            GenerationRequest(
                prompt=grow_prompt(sources[i].instruction),
                system=_GROW_SYSTEM,
                mode="continue",
                max_tokens=48,
                temperature=cfg.temperature,
                top_p=cfg.top_p,
                seed=derived_seed(ctx.exp.seed + cfg.seed, ctx.round_, NAME, "grow", i),
                stop=("\n",),
            ),
            cfg,
        )
        for i in indices
    ]
    grown: dict[int, PersonaRow] = {}
    for i, request, result in zip(indices, requests, ctx.generator.generate(requests, ctx.progress), strict=True):
        text = parse_persona(result.text) if result.ok else ""
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
    request = GenerationRequest(
        prompt=task_prompt(persona.text, shots),
        system=CHAT_SYSTEM,
        mode="continue",
        max_tokens=cfg.instruction_max_tokens,
        temperature=cfg.temperature,
        top_p=cfg.top_p,
        seed=derived_seed(exp.seed + cfg.seed, ctx.round_, NAME, index),
        stop=("\n\n",),
    )
    return shots, with_role(request, cfg)


RECIPE = Recipe(
    NAME,
    "tasks written as one of many personas (shipped, or grown from pool tasks)",
    ("general",),
    write,
    ("personas",),
)
