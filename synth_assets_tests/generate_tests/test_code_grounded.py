"""Questions about real code: the standard library's functions with file and line, calls parsed
as literals only, run in the sandbox for their value (a call that raises or loops gets no
question, and its row says why), and both question kinds through both official SDKs."""

from __future__ import annotations

import inspect
import json
import re
import textwrap
from typing import Any

import pytest

from synth_assets.generate.recipes import code_grounded as cg
from synth_assets.llm.session import GenerationSession
from synth_assets.seeds.code_snippets import load_snippets
from synth_assets.seeds.human_pool import code_snippet_rows
from synth_assets.stages.generated_instructions import generate_instructions
from synth_assets.stages.row_frames import RowScope
from synth_assets.verify.ground_truth import check_ground_truth
from synth_assets_tests.generate_tests.test_recipes import POOL, experiment_with
from synth_assets_tests.llm_tests.remote import backend
from synth_assets_tests.support.loopback_server import LoopbackLLMServer, reply
from synth_assets_tests.support.requirements import needs_sandbox

SHORTEN = cg.Snippet("row-1", "textwrap", "shorten", "textwrap.py", 1, "def shorten(text, width, **kwargs): ...")


def test_snippets_are_the_interpreters_own_functions_with_file_and_line() -> None:
    snippets = {s.id: s for s in load_snippets()}
    shorten = snippets["textwrap.shorten"]
    source, line = inspect.getsourcelines(textwrap.shorten)
    assert shorten.line == line and shorten.source == "".join(source).rstrip("\n")
    assert shorten.file == "textwrap.py" and len(snippets) >= 30


@pytest.mark.parametrize(
    ("text", "call"),
    [
        ("'Hello world again', width=12)", "shorten('Hello world again', width=12)"),
        ("shorten( 'a b c' ,  5 )  # short", "shorten('a b c', 5)"),
        ("shorten('a b c', 5)", "shorten('a b c', 5)"),
        ("open('/etc/passwd'))", None),
        ("'x', width=len('abc'))", None),
        ("'x', **{'width': 3})", None),
        ("'x' width=3)", None),
    ],
)
def test_only_a_call_of_the_function_with_literal_arguments_is_taken(text: str, call: str | None) -> None:
    assert cg.parse_call(text, "shorten") == call


@needs_sandbox
def test_a_call_is_answered_by_running_it_and_a_bad_one_says_why() -> None:
    value, why = cg.run_call(SHORTEN, "shorten('Hello world again', width=12)")
    assert value == repr(textwrap.shorten("Hello world again", width=12)) and why == ""
    value, why = cg.run_call(SHORTEN, "shorten('Hello', width=1)")
    assert value is None and why.startswith("exec: failed: ValueError")
    sleeper = cg.Snippet("row-2", "time", "sleep", "time", 1, "")
    value, why = cg.run_call(sleeper, "sleep(60)")
    assert value is None and "exec: timeout" in why
    counter = cg.Snippet("row-3", "itertools", "count", "itertools", 1, "")
    value, why = cg.run_call(counter, "count(3)")
    assert value is None and "not plain data" in why


def coder(prompt: str, params: dict[str, Any]) -> str:
    """A question for explanation prompts; for calls, `('Hello world again', width=12)` to
    `shorten`, a month that does not exist to `monthrange`, and `'a/b.txt'` to anything else."""
    name = re.search(r"Here is `(\w+)`", prompt).group(1)  # type: ignore[union-attr]
    if "One question a programmer" in prompt:
        question = f"What does {name} return when its first argument is empty?"
        return reply(params, f" {question}", question=question)
    args = {"shorten": "'Hello world again', width=12)", "monthrange": "2024, 13)"}.get(name, "'a/b.txt')")
    return reply(params, args, call=f"{name}({args}")


@needs_sandbox
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_code_grounded_questions_through_the_sdk(provider: str) -> None:
    snippets = code_snippet_rows("run")
    exp = experiment_with(
        seed=2,
        sizes={"instructions_per_round": 12, "math_problems_per_round": 0},
        recipes={"code_grounded": 1.0},
        code_grounded={"execution_share": 0.5},
    )
    with LoopbackLLMServer(responder=coder) as server:
        session = GenerationSession(backend(provider, server), None)
        scope = RowScope("generated_instructions", "e", 0, "run")
        df, _ = generate_instructions(POOL, exp, scope, session, inputs={"code_snippets": snippets})
    by_id = snippets.set_index("id")
    params = df["recipe_params"].map(json.loads)
    kinds = params.map(lambda p: p["kind"])
    assert set(kinds) == {"explanation", "execution"}
    for (_, row), p in zip(df.iterrows(), params, strict=True):
        [parent] = row["parent_ids"]
        snippet = by_id.loc[parent]  # the function asked about, with its file and line
        assert (snippet["module"], snippet["function"], snippet["line"]) == (p["module"], p["function"], p["line"])
        if row["failure"] is None:
            assert row["input"] == snippet["source"]
    answered = df[(kinds == "execution") & df["failure"].isna()]
    assert len(answered) and (answered["family"] == "code_output").all()
    for _, row in answered.iterrows():  # a right answer passes the verifier, a wrong one fails it
        right = check_ground_truth(
            "code_output", row["instruction"], f"It returns `{row['reference_answer']}`.", row["reference_answer"]
        )
        wrong = check_ground_truth("code_output", row["instruction"], "Answer: 12345", row["reference_answer"])
        assert (right.verdict, wrong.verdict) == ("passed", "failed")
    refused = df[df["failure"].fillna("").str.startswith("exec:")]
    assert all(
        "monthrange" in json.loads(p)["call"] or "a/b.txt" in json.loads(p)["call"] for p in refused["recipe_params"]
    )
