"""Evol-Instruct (WizardLM, Xu et al. 2023): a pool task is rewritten step by step into a harder
one (in-depth: add a constraint, deepen, concretize, more reasoning steps, complicate the input)
or into a rarer task of the same domain (in-breadth). Every step is a row whose parent is the task
it evolved from, so a chain `depth` steps long audits back to its human seed.

The paper's elimination rules, as far as they concern the instruction, are applied here: an
evolution that copies the rewriting prompt's own words, or adds no information (no new content
word, or the same task again), is kept as a visible row with `failure = 'evol: ...'` and is not
evolved further. (The paper asks ChatGPT whether information was gained; with no judge at hand we
ask whether a content word was added. The rule on responses that give up is a funnel step,
`gives_up`, since responses are written later, in `cot_traces`.)
"""

from __future__ import annotations

import math
import re

from synth_assets.core.seeding import derived_rng, derived_seed
from synth_assets.generate.recipes.base import Draft, Recipe, RecipeContext, call_failure
from synth_assets.generate.roles import recipe_request, structured
from synth_assets.llm.base import GenerationRequest
from synth_assets.llm.structured import answer_as, answer_text, strings

NAME = "evol_instruct"
# In-depth operations, worded after the paper's prompts (Appendix A), shortened for small models.
IN_DEPTH = {
    "add_constraints": "Add one more constraint or requirement to the task.",
    "deepen": "If the task asks about a topic, ask about it in more depth and breadth.",
    "concretize": "Replace general concepts in the task with more specific ones.",
    "increase_reasoning": "If the task can be solved with a few simple steps, make it explicitly require "
    "reasoning in several steps.",
    "complicate_input": "Add a concrete input the task must work on (a short text, a list, a table or data).",
}
IN_BREADTH = "Write a brand-new task in the same domain as the given task, but rarer. It must be about as long."
OPERATIONS = (*IN_DEPTH, "in_breadth")
_DEPTH_HEADER = (
    "Rewrite the given task into a more complex version that is still reasonable and can be answered by a "
    "person. {method} Add at most 20 words. Do not mention the given task or the rewriting."
)
_BREADTH_HEADER = "Draw inspiration from the given task to create a new one. {method}"
_COPIED = re.compile(r"given (task|prompt)|rewritten (task|prompt)|created (task|prompt)|#\s*\w+ (task|prompt)", re.I)
_LABEL = re.compile(r"^\s*(#?\s*(rewritten|new|created)\s+(task|prompt)\s*#?\s*:?)\s*", re.I)
_WORD = re.compile(r"[a-z][a-z']+")
_STOP = frozenset(
    "a an the and or but of to in on at for with by from as is are be it this that these those your you "
    "any some each more most very also then than into about".split()
)
SYSTEM = "You rewrite tasks. Reply with the rewritten task only, on one line."
EVOLVED = strings("evolved_task", task=400)


def build_prompt(task: str, operation: str, as_json: bool = False) -> str:
    header = (_BREADTH_HEADER if operation == "in_breadth" else _DEPTH_HEADER).format(
        method=IN_BREADTH if operation == "in_breadth" else IN_DEPTH[operation]
    )
    given = f"{header}\n\nGiven task: {' '.join(task.split())}"
    if as_json:
        return f"{given}\n{answer_as(task='...')}"
    label = "New task" if operation == "in_breadth" else "Rewritten task"
    return f"{given}\n{label}:"


def elimination(original: str, evolved: str) -> str | None:
    """Why an evolution is eliminated, or None to keep it."""
    if not evolved.strip():
        return "evol: empty rewrite"
    if _COPIED.search(evolved):
        return "evol: copied the rewriting prompt's words"
    if _WORD.findall(evolved.lower()) == _WORD.findall(original.lower()):
        return "evol: no information gain (the same task)"
    before = set(_WORD.findall(original.lower())) - _STOP
    added = set(_WORD.findall(evolved.lower())) - _STOP - before
    if not added:
        return "evol: no information gain (no new content word)"
    return None


def parse(text: str) -> str:
    """The first non-empty line, without a label the model may repeat (`Rewritten task:`)."""
    for line in text.splitlines():
        line = _LABEL.sub("", line).strip().strip('"').strip()
        if line:
            return line
    return ""


def write(ctx: RecipeContext, target: int) -> list[Draft]:
    """`depth` levels; level 1 evolves sampled pool tasks, each further level the survivors of the
    level before. Roots are enough for the target when every level succeeds."""
    cfg = ctx.exp.evol_instruct
    if not ctx.examples or target <= 0:
        return []
    roots = derived_rng(ctx.exp.seed, ctx.round_, NAME, "roots").sample(
        ctx.examples, min(len(ctx.examples), math.ceil(target / cfg.depth))
    )
    live: list[tuple[str, str | Draft, str]] = [(r.instruction, r.id, r.id) for r in roots]  # text, parent, root
    out: list[Draft] = []
    tasks = 0
    for level in range(1, cfg.depth + 1):
        if not live or tasks >= target:
            break
        calls = [_call(ctx, text, root, level) for text, _, root in live]
        results = ctx.generator.generate([request for _, request in calls], ctx.progress)
        survivors = []
        for (text, parent, root), (operation, request), result in zip(live, calls, results, strict=True):
            params = {"operation": operation, "depth": level, "root": root}
            evolved = parse(answer_text(request.output, result.text, "task")) if result.ok else ""
            if not result.ok or not evolved:
                out.append(call_failure(NAME, ctx.family, (parent,), request.prompt, result, "no task", params))
                continue
            reason = elimination(text, evolved)
            if reason is None and tasks < target and ctx.accept(evolved):
                draft = Draft(NAME, ctx.family, evolved, (parent,), request.prompt, params)
                out.append(draft)
                survivors.append((evolved, draft, root))
                tasks += 1
            elif reason is not None:
                out.append(Draft(NAME, ctx.family, "", (parent,), request.prompt, params, failure=reason))
        live = survivors
    return out


def _call(ctx: RecipeContext, task: str, root: str, level: int) -> tuple[str, GenerationRequest]:
    exp, cfg, evol = ctx.exp, ctx.exp.generator, ctx.exp.evol_instruct
    rng = derived_rng(exp.seed, ctx.round_, NAME, root, level)
    operation = "in_breadth" if rng.random() < evol.in_breadth_share else rng.choice(sorted(IN_DEPTH))
    as_json = structured(ctx.generator, cfg)
    request = recipe_request(
        cfg,
        build_prompt(task, operation, as_json),
        SYSTEM,
        EVOLVED if as_json else None,
        ("\n\n", "\nGiven task:"),
        cfg.instruction_max_tokens,
        derived_seed(exp.seed + cfg.seed, ctx.round_, NAME, root, level),
    )
    return operation, request


RECIPE = Recipe(NAME, "pool tasks evolved step by step into harder or rarer ones", ("general",), write)
