"""Recipes through the real asset graph (OpenAI SDK, loopback server): a round whose general
tasks are split between Self-Instruct, two-step Evol-Instruct chains and personas passes its
blocking check (an evolved task's parent is a row of the same table, a persona task's a row of
`personas`), reports tasks per recipe, carries each row's recipe downstream, and `synth audit`
walks a second-level evolution back through the first level to the human seed. The same round
critiques, revises and labels its responses (`ai_preferences`), and a constitutional DPO pair
audits back through its revision to the response it revised, the principle and the human seed;
a share of its tasks is solved by a tool-calling agent, one row per trajectory; and a share of
its answers grows into two-turn dialogues."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from typer.testing import CliRunner

from synth_assets.cli import app
from synth_assets.generate.recipes.registry import RECIPES
from synth_assets.stages.registry import STAGES
from synth_assets.storage.previous_round import partition_key
from synth_assets.storage.warehouse_file import open_warehouse
from synth_assets_tests.conftest import TINY
from synth_assets_tests.generate_tests.test_agents import agent
from synth_assets_tests.generate_tests.test_ai_feedback import fair
from synth_assets_tests.generate_tests.test_code_grounded import coder
from synth_assets_tests.generate_tests.test_dialogues import talker
from synth_assets_tests.generate_tests.test_recipes import evolver, textbook
from synth_assets_tests.orchestration_tests.assets_tests.graph import Graph
from synth_assets_tests.orchestration_tests.assets_tests.test_remote_generator import KEY, _metadata, responder
from synth_assets_tests.support.loopback_server import LoopbackLLMServer, ToolUse

pytestmark = pytest.mark.slow


def every(prompt: str, params: dict[str, Any]) -> str | list[ToolUse]:
    if params.get("tools") and "output" not in params:
        return agent(prompt, params)
    if "### Your next message" in prompt:
        return talker(prompt, params)
    if "Critique request:" in prompt or "Revision request:" in prompt or prompt.endswith("Better:"):
        return fair(prompt, params)
    if "Given task:" in prompt:
        return evolver(prompt, params)
    if prompt.endswith(("Lesson:", "In the same JSON form.")):
        return textbook(prompt, params)
    if "from Python's" in prompt:
        return coder(prompt, params)
    answer = responder(prompt, params)
    if answer == "A short, helpful answer.":  # the k samples of a task differ, as sampled answers do
        return f"{answer} It comes to {12 if params.get('seed', 0) % 2 else 7}."
    return answer


def test_a_round_of_every_recipe_audits_an_evolution_back_to_its_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with LoopbackLLMServer(responder=every) as server:
        generator = {"backend": "openai", "model": "gpt-test", "base_url": f"{server.url}/v1"}
        experiment = {
            "name": "mix",
            "regime": "accumulate",
            "generator": generator,
            "sizes": {**TINY["defaults"]["sizes"], "instructions_per_round": 12},
            "code_grounded": {"execution_share": 1.0},
            "recipes": dict.fromkeys(RECIPES, 1.0),
            "evol_instruct": {"depth": 2, "in_breadth_share": 0.0},
            "verify": {"constraint_share": 0},
            "ai_feedback": {"revision_share": 1.0, "comparison_share": 1.0},
            "agent": {"share": 0.5},
            "dialogue": {"share": 0.5, "follow_ups": 1},
        }
        graph = Graph(tmp_path, {**TINY, "experiments": [experiment]}, env={"OPENAI_API_KEY": KEY})
        assert graph.materialize("human_data").success
        result = graph.materialize_keys(list(STAGES), partition_key("mix", 0))
    assert result.success
    [check] = [e for e in result.get_asset_check_evaluations() if e.asset_key == dg.AssetKey("generated_instructions")]
    assert check.passed  # parents found upstream, including rows of the same partition
    meta = _metadata(result)
    assert meta["generated_instructions"]["tasks_by_recipe"]  # shown as a table in the UI
    assert all(f"| {name} |" in meta["cot_traces"]["by_recipe"] for name in RECIPES)  # on every task table

    assert graph.materialize_keys(["recipe_summary", "verification_rollup", "round_summary"]).success
    with open_warehouse(graph.settings.warehouse) as conn:
        tasks = conn.execute(
            "select id, parent_ids, recipe, recipe_params from main.generated_instructions where failure is null"
        ).fetchdf()
        traced = conn.execute("select distinct recipe from main.cot_traces").fetchdf()["recipe"]
        per_recipe = conn.execute("select * from main.recipe_summary").fetchdf().set_index("recipe")
        unnamed = conn.execute("select count(*) from main.final_mix where recipe is null").fetchone()[0]
        [summary] = conn.execute("select tasks_by_recipe from main.round_summary").fetchone()
    assert set(tasks["recipe"]) == set(RECIPES)
    counts = dict(part.split(": ") for part in summary.split(", "))  # "code_grounded: 2, curriculum: 3, ..."
    assert counts == {name: str(n) for name, n in tasks["recipe"].value_counts().items()}
    assert set(RECIPES) <= set(traced)  # the recipe travels with the task
    assert unnamed == 0 and per_recipe.loc["human", "in_mix"] > 0  # down to the mix, human rows too
    assert (per_recipe.loc[list(RECIPES), ["tasks", "traces"]] > 0).all().all()
    depth = tasks["recipe_params"].map(lambda p: json.loads(p).get("depth", 0) if p else 0)
    second = tasks[depth == 2].iloc[0]
    [first] = second["parent_ids"]

    env = {"SYNTH_DATA_DIR": str(graph.settings.data_dir), "DAGSTER_HOME": str(tmp_path / "home")}
    audit = CliRunner().invoke(app, ["audit", second["id"], "--json"], env=env)
    assert audit.exit_code == 0, audit.output
    chain = json.loads(audit.output)
    stages = {r["id"]: r["stage"] for r in chain}
    assert stages[first] == "generated_instructions"  # the level-1 evolution
    assert "human_seeds" in stages.values()  # and through the pool, the human seed

    with open_warehouse(graph.settings.warehouse) as conn:
        pairs = conn.execute("select id, source, chosen_id, rejected_id from main.preference_pairs").fetchdf()
        [[revisions, preferred, wrong_before]] = conn.execute(
            "select count(*), count(*) filter (where preferred = 'second'), count(*) filter (where first not like "
            "'%12%') from main.ai_preferences where source = 'constitutional' and failure is null"
        ).fetchall()
    # the fair labeller prefers a revision to 12 over an original without it, and flips on a tie
    assert 0 < preferred == wrong_before < revisions
    assert meta["ai_preferences"]["revisions_preferred"] == round(preferred / revisions, 4)
    assert {"constitutional", "ai_feedback"} <= set(pairs["source"])
    pair = pairs[pairs["source"] == "constitutional"].iloc[0]
    audit = CliRunner().invoke(app, ["audit", pair["id"], "--json"], env=env)
    assert audit.exit_code == 0, audit.output
    stages = {r["id"]: r["stage"] for r in json.loads(audit.output)}
    assert stages[pair["chosen_id"]] == "ai_preferences" and stages[pair["rejected_id"]] == "filtered_set"
    assert {"constitution", "human_seeds"} <= set(stages.values())

    with open_warehouse(graph.settings.warehouse) as conn:
        rows = conn.execute(
            "select messages, verdict, steps, tool_calls, failure from main.agent_trajectories"
        ).fetchdf()
    # every trajectory called the calculator, read its result and answered
    assert len(rows) > 0 and rows["failure"].isna().all()
    assert (rows["steps"] == 2).all() and (rows["tool_calls"] == 1).all()
    assert all(json.loads(m)[3]["role"] == "tool" for m in rows["messages"])
    assert set(rows["verdict"]) <= {"passed", "failed", "no_answer", "unverifiable"}
    assert "| trajectories |" in meta["agent_trajectories"]["agents"]  # a table in the UI

    with open_warehouse(graph.settings.warehouse) as conn:
        talks = conn.execute("select messages, failure from main.dialogues").fetchdf()
    assert len(talks) > 0 and talks["failure"].isna().all()
    assert all([m["role"] for m in json.loads(t)] == ["user", "assistant"] * 2 for t in talks["messages"])
