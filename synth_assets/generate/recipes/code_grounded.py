"""Questions about real code (after Phi-4's questions generated from code snippets, Microsoft
2024), from the `code_snippets` input: functions of the standard library, with file and line.

Two kinds, by `code_grounded.execution_share`:
- *explanation*: the model asks a question a programmer might ask about the function; the task
  is the question with the source as its input (no ground truth: judged like any general task);
- *execution*: the model proposes a call with literal arguments; the call is run in the code
  sandbox, and what it returns (as a Python literal) is the task's reference answer, found by
  execution, not by a model. A call that raises, runs past the limits or returns something that
  is not plain data gets no question: the row says why (`failure = 'exec: ...'`).
"""

from __future__ import annotations

import ast
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pandas as pd

from synth_assets.core.seeding import derived_rng, derived_seed
from synth_assets.generate.recipes.base import Draft, Recipe, RecipeContext, call_failure, input_records
from synth_assets.generate.roles import recipe_request, structured
from synth_assets.llm.base import GenerationRequest
from synth_assets.llm.structured import answer_as, answer_text, strings
from synth_assets.verify.sandbox import SandboxLimits, SandboxPolicy, evaluate

NAME = "code_grounded"
ENTRY = "snippet_call"
CALL_LIMITS = SandboxLimits(wall_s=5.0, cpu_s=2, memory_mb=256)
MAX_VALUE_CHARS = 300  # a longer value makes a poor question (and a poor answer to check)
SYSTEM = "You are a Python programmer. Reply with what is asked, on one line, and nothing else."
QUESTION = strings("code_question", question=200)
CALL = strings("code_call", call=200)


@dataclass(frozen=True)
class Snippet:
    row_id: str
    module: str
    function: str
    file: str
    line: int
    source: str


def snippets_of(df: pd.DataFrame | None) -> list[Snippet]:
    records = input_records(df, ["id", "module", "function", "file", "line", "source"])
    return [Snippet(r, m, f, file, int(line), s) for r, m, f, file, line, s in records]


def _shown(s: Snippet) -> str:
    where = f"Python's `{s.module}` module ({s.file}, line {s.line})"
    return f"Here is `{s.function}` from {where}:\n\n```python\n{s.source}\n```\n"


def explain_prompt(s: Snippet, as_json: bool = False) -> str:
    ask = "\nOne question a programmer might ask about what this function does or how it works"
    return _shown(s) + (f"{ask}. {answer_as(question='...?')}" if as_json else f"{ask}:")


def call_prompt(s: Snippet, as_json: bool = False) -> str:
    ask = "\nOne call to this function with literal arguments, written as Python"
    if as_json:
        return _shown(s) + f"{ask}. {answer_as(call=f'{s.function}(...)')}"
    return _shown(s) + f"{ask}:\n{s.function}("


def parse_question(text: str) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if line.endswith("?") and len(line.split()) >= 4 else ""


def parse_call(text: str, function: str) -> str | None:
    """`function(...)` with literal arguments only, in canonical form; None otherwise."""
    body = text.strip()
    expression = body if body.startswith(f"{function}(") else f"{function}({body}"
    expression = expression.splitlines()[0].strip().rstrip(";").strip("`")
    try:
        call = ast.parse(expression, mode="eval").body
    except SyntaxError:
        return None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == function):
        return None
    try:
        args = [ast.literal_eval(a) for a in call.args]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
    except (ValueError, SyntaxError, TypeError):
        return None
    if len(kwargs) != len(call.keywords):
        return None
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{function}({', '.join(parts)})"


def execution_question(s: Snippet, call: str) -> str:
    return (
        f"What does `{call}` return? The function is `{s.module}.{s.function}`, shown in the input. "
        "Give the exact Python value."
    )


def run_call(s: Snippet, call: str, policy: SandboxPolicy | None = None) -> tuple[str | None, str]:
    """(repr of the value, why not) from running the call in the sandbox."""
    program = f"def {ENTRY}():\n    from {s.module} import {s.function}\n    return {call}\n"
    outcome = evaluate(program, ENTRY, CALL_LIMITS, policy)
    if outcome.value is None:
        return None, f"exec: {outcome.status}: {outcome.reason}"[:300]
    if len(outcome.value) > MAX_VALUE_CHARS:
        return None, f"exec: the value is {len(outcome.value)} characters long, over {MAX_VALUE_CHARS}"
    return outcome.value, ""


def write(ctx: RecipeContext, target: int) -> list[Draft]:
    snippets = snippets_of(ctx.inputs.get("code_snippets"))
    if not snippets or target <= 0:
        return []
    share = ctx.exp.code_grounded.execution_share
    plan = []
    for i in range(target):
        rng = derived_rng(ctx.exp.seed, ctx.round_, NAME, i)
        plan.append((rng.choice(snippets), "execution" if rng.random() < share else "explanation", i))
    requests = [_request(ctx, s, kind, i) for s, kind, i in plan]
    results = ctx.generator.generate(requests, ctx.progress)
    out: list[Draft] = []
    calls = [
        parse_call(answer_text(request.output, result.text, "call"), s.function)
        if kind == "execution" and result.ok
        else None
        for (s, kind, _), request, result in zip(plan, requests, results, strict=True)
    ]
    ran = _run_all(plan, calls, ctx.exp.verify.sandbox_policy())
    for (s, kind, i), request, result, call in zip(plan, requests, results, calls, strict=True):
        params = {"kind": kind, "module": s.module, "function": s.function, "file": s.file, "line": s.line}
        parents = (s.row_id,)
        if kind == "explanation":
            question = parse_question(answer_text(request.output, result.text, "question")) if result.ok else ""
            if not question:
                out.append(call_failure(NAME, "general", parents, request.prompt, result, "no question", params))
            elif ctx.accept(question):
                out.append(Draft(NAME, "general", question, parents, request.prompt, params, input=s.source))
            continue
        if call is None:
            out.append(call_failure(NAME, "code_output", parents, request.prompt, result, "no literal call", params))
            continue
        value, why = ran[i]
        params = {**params, "call": call}
        if value is None:
            out.append(Draft(NAME, "code_output", "", parents, request.prompt, params, failure=why))
            continue
        question = execution_question(s, call)
        if ctx.accept(question):
            draft = Draft(
                NAME, "code_output", question, parents, request.prompt, params, input=s.source, reference=value
            )
            out.append(draft)
    return out


def _run_all(
    plan: list[tuple[Snippet, str, int]], calls: list[str | None], policy: SandboxPolicy
) -> dict[int, tuple[str | None, str]]:
    """Every proposed call run in its own sandbox, side by side (one per core), as code checks are."""
    todo = [(s, call, i) for (s, _, i), call in zip(plan, calls, strict=True) if call is not None]
    with ThreadPoolExecutor(max(1, os.cpu_count() or 1)) as pool:
        results = pool.map(lambda item: run_call(item[0], item[1], policy), todo)
        return {i: result for (_, _, i), result in zip(todo, results, strict=True)}


def _request(ctx: RecipeContext, s: Snippet, kind: str, index: int) -> GenerationRequest:
    exp, cfg = ctx.exp, ctx.exp.generator
    as_json = structured(ctx.generator, cfg)
    return recipe_request(
        cfg,
        explain_prompt(s, as_json) if kind == "explanation" else call_prompt(s, as_json),
        SYSTEM,
        (QUESTION if kind == "explanation" else CALL) if as_json else None,
        ("\n",),
        64,
        derived_seed(exp.seed + cfg.seed, ctx.round_, NAME, kind, index),
    )


DESCRIPTION = "questions about standard-library functions: explanations, and calls whose value running them gives"
RECIPE = Recipe(NAME, DESCRIPTION, ("general", "code_output"), write, ("code_snippets",))
