"""Parse yield with and without structured output, on the embedded model (SmolLM2-135M, local,
no key): the same `generated_instructions` calls of every recipe (same pool, same examples, same
seeds), asked once in free text read by patterns and once as JSON held to a schema by a
llama.cpp grammar; and the same traces graded by the judge both ways.

    .venv/bin/python bench/structured_output_bench.py [--tasks 24] [--seed 3] [--grades 24]

Per recipe: tasks asked for, tasks written, the answers that held nothing usable (`parse:` rows)
and the answers that missed their schema after the session's re-asks (`malformed_response`
rows), schema re-asks, seconds. The ratio it is judged by: tasks written with JSON over tasks
written in free text, per recipe and overall; for the judge, grades read over grades asked.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from synth_assets.config.experiments import parse_experiments
from synth_assets.generate.recipes.registry import RECIPES
from synth_assets.llm.backends import BACKENDS, Build, Machine
from synth_assets.llm.session import GenerationSession
from synth_assets.seeds.human_pool import human_rows, recipe_input_rows
from synth_assets.stages.generated_instructions import generate_instructions
from synth_assets.stages.row_frames import RowScope
from synth_assets.verify.judge import judge_evidence, judge_request

PROJECT_DATA = Path(__file__).resolve().parents[1] / "data"
SCOPE = RowScope("generated_instructions", "bench", 0, "bench")


FORMS = {"free text": False, "auto (default)": "auto", "json": True}


def experiment(recipe: str, tasks: int, seed: int, as_json: bool | str):
    raw = {
        "name": "bench",
        "regime": "replace",
        "seed": seed,
        "sizes": {"instructions_per_round": tasks, "math_problems_per_round": 0},
        "recipes": {recipe: 1.0},
        "generator": {"structured_output": as_json},
        "verify": {"constraint_share": 0},
    }
    return parse_experiments({"experiments": [raw]}, "bench").experiments[0]


def recipe_row(recipe: str, pool: pd.DataFrame, inputs: dict, args: argparse.Namespace, form: str) -> dict:
    exp = experiment(recipe, args.tasks, args.seed, FORMS[form])
    local = BACKENDS["llamacpp"].build(Build(exp.generator, Machine()))  # type: ignore[misc]
    start = time.monotonic()
    with GenerationSession(local, None) as session:
        df, _ = generate_instructions(pool, exp, SCOPE, session, inputs=inputs)
        stats = session.stats
    failure = df["failure"].fillna("")
    return {
        "recipe": recipe,
        "form": form,
        "asked": args.tasks,
        "written": int((failure == "").sum()),
        "calls": stats.requests,
        "unusable": int(failure.str.startswith("parse:").sum()),
        "malformed": int(failure.str.contains("malformed_response").sum()),
        "schema_reasks": stats.format_retries,
        "seconds": round(time.monotonic() - start, 1),
    }


def judge_row(pool: pd.DataFrame, args: argparse.Namespace, as_json: bool) -> dict:
    exp = experiment("self_instruct", args.tasks, args.seed, as_json)  # the judge is asked for JSON under "auto"
    local = BACKENDS["llamacpp"].build(Build(exp.generator, Machine()))  # type: ignore[misc]
    tasks = pool.head(args.grades)
    answer = "Here is my answer: it depends."
    requests = [
        judge_request(row.instruction, row.input if isinstance(row.input, str) else "", answer, 96, i, as_json)
        for i, row in enumerate(tasks.itertuples())
    ]
    start = time.monotonic()
    with GenerationSession(local, None) as session:
        results = session.generate(requests)
    read = sum(judge_evidence(r, q.output)[0] is not None for q, r in zip(requests, results, strict=True))
    return {
        "recipe": "judge (grades)",
        "form": "json" if as_json else "free text",
        "asked": len(requests),
        "written": read,
        "calls": len(requests),
        "unusable": len(requests) - read,
        "malformed": sum(r.error_kind == "malformed_response" for r in results),
        "schema_reasks": session.stats.format_retries,
        "seconds": round(time.monotonic() - start, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=24)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--grades", type=int, default=24)
    args = parser.parse_args()
    seeds = PROJECT_DATA / "seeds"
    pool = human_rows(seeds, "bench", "human_seeds")
    inputs = recipe_input_rows(seeds, "bench")
    rows = [recipe_row(name, pool, inputs, args, form) for name in RECIPES for form in FORMS]
    grades = [judge_row(pool, args, as_json) for as_json in (False, True)]
    rows += [*grades, {**grades[1], "form": "auto (default)"}]  # "auto" asks the judge for JSON
    table = pd.DataFrame(rows)
    print(table.to_markdown(index=False))
    wide = table.pivot(index="recipe", columns="form", values="written")[list(FORMS)]
    free = wide["free text"].where(wide["free text"] > 0)
    for form in ("auto (default)", "json"):
        wide[f"{form} / free text"] = (wide[form] / free).round(2)
    print()
    print(wide.to_markdown())
    recipes = table[table["recipe"] != "judge (grades)"]
    by_form = recipes.groupby("form")[["written", "seconds"]].sum()
    print(f"\nall recipes, of {args.tasks * len(RECIPES)} tasks asked:")
    for form in FORMS:
        written, seconds = by_form.loc[form, "written"], by_form.loc[form, "seconds"]
        print(f"  {form}: {written} written ({written / max(by_form.loc['free text', 'written'], 1):.2f}x free text)"
              f" in {seconds:.0f} s")  # fmt: skip


if __name__ == "__main__":
    main()
