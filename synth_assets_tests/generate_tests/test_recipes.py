"""The recipe registry and Evol-Instruct: shares add up, every elimination rule on its own, and
evolution chains through both official SDKs against the loopback server and through the
embedded model, each step a row whose parent is the task it evolved from."""

from __future__ import annotations

import hashlib
import json
import re
import typing
from typing import Any

import pandas as pd
import pytest

from synth_assets.config.experiments import RecipeName, parse_experiments
from synth_assets.generate.recipes import curriculum, evol_instruct
from synth_assets.generate.recipes import persona as persona_recipe
from synth_assets.generate.recipes.registry import RECIPES, allot
from synth_assets.llm.session import GenerationSession
from synth_assets.seeds.human_pool import curriculum_rows, persona_rows, recipe_input_rows
from synth_assets.stages.generated_instructions import generate_instructions, recipe_plan
from synth_assets.stages.row_frames import RowScope
from synth_assets_tests.llm_tests.remote import backend
from synth_assets_tests.support.loopback_server import LoopbackLLMServer, reply
from synth_assets_tests.support.paths import PROJECT_DATA

POOL = pd.DataFrame(
    [
        {"id": f"hum-{i}", "family": "general", "instruction": text, "reference_answer": None}
        for i, text in enumerate(
            [
                "Write a haiku about autumn rain.",
                "List three uses of baking soda in a kitchen.",
                "Explain why the sky looks blue at noon.",
                "Summarize the plot of a fairy tale in two sentences.",
            ]
        )
    ]
)
EXTRA = ["budget", "river", "ledger", "sonnet", "glacier", "orbit"]


def experiment_with(**changes: Any):
    """A one-experiment config for recipe tests: small sizes, no constraints, changes on top."""
    raw = {
        "name": "e",
        "regime": "replace",
        "seed": 5,
        "sizes": {"instructions_per_round": 4, "math_problems_per_round": 0},
        "recipes": {"evol_instruct": 1.0},
        "verify": {"constraint_share": 0},
        **changes,
    }
    return parse_experiments({"experiments": [raw]}, "test").experiments[0]


def test_the_config_names_exactly_the_registered_recipes() -> None:
    assert set(typing.get_args(RecipeName)) == set(RECIPES)


def test_shares_become_counts_that_add_up_whatever_their_order() -> None:
    assert allot({"self_instruct": 0.5, "evol_instruct": 0.5}, 5) == {"evol_instruct": 3, "self_instruct": 2}
    assert allot({"evol_instruct": 0.5, "self_instruct": 0.5}, 5) == {"evol_instruct": 3, "self_instruct": 2}
    assert sum(allot({"self_instruct": 0.2, "evol_instruct": 0.7}, 11).values()) == 11
    plan = recipe_plan(experiment_with(recipes={"self_instruct": 0.25, "evol_instruct": 0.75}))
    assert plan == [("general", "evol_instruct", 3), ("general", "self_instruct", 1)]


@pytest.mark.parametrize(
    ("evolved", "reason"),
    [
        ("", "evol: empty rewrite"),
        ("#Rewritten Prompt#: Write a haiku about autumn rain at dusk.", "copied the rewriting prompt's words"),
        ("Rewrite the given prompt: a haiku about autumn rain.", "copied the rewriting prompt's words"),
        ("write a HAIKU about autumn rain", "no information gain (the same task)"),
        ("Write the haiku, about the autumn rain!", "no information gain (no new content word)"),
        ("Write a haiku about autumn rain on a tin roof.", None),
    ],
)
def test_each_elimination_rule(evolved: str, reason: str | None) -> None:
    got = evol_instruct.elimination("Write a haiku about autumn rain.", evolved)
    assert got == reason if reason is None else (got is not None and reason in got)


def test_a_repeated_label_is_not_part_of_the_task() -> None:
    assert evol_instruct.parse("Rewritten task: Write a limerick.\nMore text") == "Write a limerick."
    assert evol_instruct.parse('\n  "Write a limerick about tea."') == "Write a limerick about tea."


def evolver(prompt: str, params: dict[str, Any]) -> str:
    """Adds a word to the given task; a task that mentions 'baking' comes back naming the rewriting
    prompt (eliminated), one that mentions 'sky' unchanged (eliminated: no information gain)."""
    given = re.search(r"Given task: (.*)", prompt).group(1)  # type: ignore[union-attr]
    if "baking" in given:
        evolved = f"{given.rstrip('.')}, as the rewritten prompt says."
    elif "sky" in given:
        evolved = given
    else:
        h = int(hashlib.sha256(json.dumps([prompt, params], sort_keys=True).encode()).hexdigest(), 16)
        evolved = f"{given.rstrip('.')} and mention a {EXTRA[h % len(EXTRA)]}."
    return reply(params, evolved, task=evolved)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_evolution_chains_through_the_sdk(provider: str) -> None:
    exp = experiment_with(
        evol_instruct={"depth": 2, "in_breadth_share": 0.0},
        sizes={"instructions_per_round": 8, "math_problems_per_round": 0},
    )
    with LoopbackLLMServer(responder=evolver) as server:
        session = GenerationSession(backend(provider, server), None)
        df, stats = generate_instructions(POOL, exp, RowScope("generated_instructions", "e", 0, "run"), session)
    rows = df.set_index("id")
    tasks = rows[rows["failure"].isna()]
    params = tasks["recipe_params"].map(json.loads)
    assert set(tasks["recipe"]) == {"evol_instruct"} and stats.by_recipe == {"evol_instruct": len(tasks)}
    assert {p["operation"] for p in params} <= set(evol_instruct.IN_DEPTH)
    for row_id, p in params.items():
        [parent] = rows.loc[row_id, "parent_ids"]
        if p["depth"] == 1:
            assert parent == p["root"] and parent.startswith("hum-")  # evolved from the pool task
        else:
            assert json.loads(rows.loc[parent, "recipe_params"])["depth"] == 1  # from the level-1 row
            assert parent in tasks.index
    assert (params.map(lambda p: p["depth"]) == 2).any()
    eliminated = rows[rows["failure"].fillna("").str.startswith("evol:")]
    reasons = set(eliminated["failure"])
    assert any("copied" in r for r in reasons) and any("no information gain" in r for r in reasons)
    assert stats.eliminated == len(eliminated) and len(tasks) <= 8


@pytest.mark.slow
def test_every_recipe_with_the_embedded_model() -> None:
    """The real small model writes with each recipe: every row says which recipe wrote it, and
    names as parents only rows that exist (pool tasks, personas, tasks it evolved from)."""
    from synth_assets.llm.backends import BACKENDS, Build, Machine

    inputs = recipe_input_rows(PROJECT_DATA / "seeds", "run")
    shares = dict.fromkeys(RECIPES, 1.0)
    exp = experiment_with(recipes=shares, sizes={"instructions_per_round": len(shares), "math_problems_per_round": 0})
    local = BACKENDS["llamacpp"].build(Build(exp.generator, Machine()))  # type: ignore[misc]
    with GenerationSession(local, None) as session:
        scope = RowScope("generated_instructions", "e", 0, "run")
        df, _ = generate_instructions(POOL, exp, scope, session, inputs=inputs)
    assert set(df["recipe"]) == set(shares)
    known = set(POOL["id"]) | set(df["id"]) | {i for table in inputs.values() for i in table["id"]}
    assert all(p and set(p) <= known for p in df["parent_ids"])


@pytest.mark.parametrize(
    ("text", "persona"),
    [
        (" retired sailor who collects old maps. He lives by the sea.", "a retired sailor who collects old maps"),
        ("n art teacher in a small town", "an art teacher in a small town"),
        ("\n\nThe mayor of a coastal town", "The mayor of a coastal town"),
        ("?", ""),
    ],
)
def test_a_grown_persona_is_the_first_sentence(text: str, persona: str) -> None:
    assert persona_recipe.parse_persona(text) == persona


def persona_writer(prompt: str, params: dict[str, Any]) -> str:
    if "Who is likely" in prompt:
        return reply(params, " retired sailor who collects old maps.", person="a retired sailor who collects old maps.")
    who = re.search(r"tasks that (.*) would ask", prompt, re.I).group(1)  # type: ignore[union-attr]
    tasks = [f"As {who}, plan my week.", f"As {who}, draft a note to a colleague."]
    if params.get("output"):
        return json.dumps({"tasks": tasks})
    n = int(re.findall(r"^(\d+)\.$", prompt, re.M)[-1])
    return f"{n}. {tasks[0]}\n{n + 1}. {tasks[1]}"


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_tasks_written_as_personas_name_them_as_parents(provider: str) -> None:
    personas = persona_rows(PROJECT_DATA / "seeds", "run")
    exp = experiment_with(
        recipes={"persona": 1.0},
        persona={"grown_share": 0.5, "tasks_per_call": 2},
        sizes={"instructions_per_round": 8, "math_problems_per_round": 0},
    )
    with LoopbackLLMServer(responder=persona_writer) as server:
        session = GenerationSession(backend(provider, server), None)
        scope = RowScope("generated_instructions", "e", 0, "run")
        df, stats = generate_instructions(POOL, exp, scope, session, inputs={"personas": personas})
    tasks = df[df["failure"].isna()]
    assert len(tasks) == 8 and stats.by_recipe == {"persona": 8}
    by_row = dict(zip(personas["id"], personas["persona"], strict=True))
    sources = set()
    for _, row in tasks.iterrows():
        params = json.loads(row["recipe_params"])
        persona_parent, *shown = row["parent_ids"]
        assert params["persona"] in row["instruction"] and set(shown) <= set(POOL["id"])
        sources.add(params["persona_source"])
        if params["persona_source"] == "shipped":
            assert by_row[persona_parent] == params["persona"]  # the personas row it was written as
        else:
            assert persona_parent in set(POOL["id"]) and params["persona"] == "a retired sailor who collects old maps"
    assert sources == {"shipped", "grown"}


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        (
            " A ratio compares two amounts.\nExercise: Simplify 6:4.\nAnswer: 3:2\n\nSubject: math.",
            ("A ratio compares two amounts.", "Simplify 6:4.", "3:2"),
        ),
        (
            " Loops repeat work. Exercise: Print 1 to 3. Answer: for i in range(1, 4): print(i)",
            ("Loops repeat work.", "Print 1 to 3.", "for i in range(1, 4): print(i)"),
        ),
        (" A lesson with no exercise at all.", None),
        (" Lesson text.\nExercise: \nAnswer: 4", None),
    ],
)
def test_a_textbook_section_is_split_into_lesson_exercise_and_answer(text: str, parts: tuple | None) -> None:
    assert curriculum.parse(text) == parts


def textbook(prompt: str, params: dict[str, Any]) -> str:
    _, topic, level = re.findall(r"Subject: (\w+)\. Topic: ([^.]+)\. Level: (\w+)\.\n(?:Lesson:|In the same)", prompt)[
        -1
    ]
    lesson, exercise = f"{topic.capitalize()} at the {level} level, explained.", f"Use {topic} as a {level}."
    return reply(params, f" {lesson}\nExercise: {exercise}\nAnswer: 7", lesson=lesson, exercise=exercise, answer="7")


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_curriculum_climbs_its_ladder_round_by_round(provider: str) -> None:
    ladder = curriculum_rows(PROJECT_DATA / "seeds", "run")
    exp = experiment_with(
        recipes={"curriculum": 1.0}, sizes={"instructions_per_round": 20, "math_problems_per_round": 0}
    )
    written = []
    with LoopbackLLMServer(responder=textbook) as server:
        session = GenerationSession(backend(provider, server), None)
        for round_ in (0, 1, 2):
            scope = RowScope("generated_instructions", "e", round_, "run")
            df, _ = generate_instructions(POOL, exp, scope, session, inputs={"curriculum": ladder})
            written.append(df)
    levels = [df["recipe_params"].map(lambda p: json.loads(p)["level"]).tolist() for df in written]
    assert levels[0] == [1] * 18 + [2] * 2 and levels[1] == [2] * 16 + [3] * 4  # the ladder climbs
    assert levels[2] == [3] * 14 + [1] * 6  # and starts again at the top
    first = written[0].iloc[0]
    params = json.loads(first["recipe_params"])
    assert first["instruction"] == f"Use {params['topic']} as a beginner." and first["input"].endswith("explained.")
    assert params["answer"] == "7" and first["reference_answer"] is None  # a model's answer is not ground truth
    rung = ladder.set_index("id").loc[first["parent_ids"][0]]
    assert (rung["subject"], rung["topic"], rung["level"]) == (params["subject"], params["topic"], 1)
    subjects = written[0]["recipe_params"].map(lambda p: json.loads(p)["subject"])
    families = dict(zip(subjects, written[0]["family"], strict=True))
    assert families == {"coding": "general", "math": "math", "reasoning": "general"}
