"""Self-Instruct (Wang et al. 2022): numbered pool tasks, the model continues the list, the new
items are the tasks. Waves of calls until the target or `MAX_WAVES`; each call has its own seeded
example sample, so the result does not depend on how calls are scheduled."""

from __future__ import annotations

import math

from synth_assets.core.seeding import derived_rng, derived_seed
from synth_assets.generate.recipes.base import Draft, Recipe, RecipeContext, call_failure, new_tasks
from synth_assets.generate.roles import recipe_request, structured, with_role
from synth_assets.generate.self_instruct import (
    HEADERS,
    JSON_SYSTEM,
    NEW_TASKS,
    InContextExample,
    build_request,
    json_prompt,
    parse_items,
)
from synth_assets.llm.base import GenerationRequest

NAME = "self_instruct"
ITEMS_PER_CALL_GUESS = 4
MAX_WAVES = 3


def write(ctx: RecipeContext, target: int) -> list[Draft]:
    out: list[Draft] = []
    call_index = tasks = 0
    for _wave in range(MAX_WAVES):
        missing = target - tasks
        if missing <= 0:
            break
        calls = [_call(ctx, call_index + i) for i in range(math.ceil(missing / ITEMS_PER_CALL_GUESS))]
        call_index += len(calls)
        results = ctx.generator.generate([r for _, r in calls], ctx.progress)
        for (shots, request), result in zip(calls, results, strict=True):
            parents = tuple(s.id for s in shots)
            items = parse_items(request, result, len(shots) + 1, ctx.generator.raw_continuation)
            if not items:
                out.append(call_failure(NAME, ctx.family, parents, request.prompt, result, "no task"))
                continue
            drafts = new_tasks(ctx, NAME, items, target - tasks, (parents, request.prompt, {}))
            out += drafts
            tasks += sum(d.is_task for d in drafts)
    return out


def _call(ctx: RecipeContext, index: int) -> tuple[list[InContextExample], GenerationRequest]:
    exp, cfg = ctx.exp, ctx.exp.generator
    shots = derived_rng(exp.seed, ctx.round_, ctx.family, index).sample(
        ctx.examples, min(exp.sizes.in_context_examples, len(ctx.examples))
    )
    seed = derived_seed(exp.seed + cfg.seed, ctx.round_, ctx.family, index, "gen")
    if not structured(ctx.generator, cfg, task_list=True):
        request = build_request(ctx.family, shots, cfg.instruction_max_tokens, cfg.temperature, cfg.top_p, seed)
        return shots, with_role(request, cfg)
    prompt = json_prompt(HEADERS[ctx.family], [s.instruction for s in shots])
    return shots, recipe_request(cfg, prompt, JSON_SYSTEM, NEW_TASKS, (), cfg.instruction_max_tokens, seed)


RECIPE = Recipe(NAME, "new tasks by continuing a numbered list of pool tasks", ("general", "math"), write)
