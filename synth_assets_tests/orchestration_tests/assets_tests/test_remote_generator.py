"""The real asset graph generating through the official OpenAI SDK against the loopback server:
cost and cache in the metadata, parse failures as rows, a re-run that calls nothing, no key leak."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from synth_assets.storage.previous_round import partition_key
from synth_assets_tests.conftest import TINY
from synth_assets_tests.orchestration_tests.assets_tests.graph import Graph
from synth_assets_tests.support.loopback_server import LoopbackLLMServer, reply, schema_instance

KEY = "sk-graph-test-5c1d9e7a3b"
WORDS = ["river", "prime", "budget", "poem", "recipe", "orbit", "ledger", "melody", "glacier", "sonnet"]


REFUSED: list[str] = []


def responder(prompt: str, params: dict[str, Any]) -> str:
    """New tasks for Self-Instruct prompts (the first math list is refused twice, to exercise
    answers off their schema: the session asks again), a checkable answer for math, prose
    otherwise; JSON where the request asked for it."""
    h = int(hashlib.sha256(json.dumps([prompt, params], sort_keys=True).encode()).hexdigest(), 16)
    if "### Your grade" in prompt:
        score = h % 10 + 1
        return reply(
            params, f"Score: {score}\nGraded by the test judge.", score=score, reason="Graded by the test judge."
        )
    if "Come up with a series" in prompt:
        if "math word problems" in prompt and (not REFUSED or (REFUSED[0] == prompt and len(REFUSED) < 2)):
            REFUSED.append(prompt)
            return "I'm sorry, I can't continue that list."
        numbered = re.findall(r"^(\d+)\.$", prompt, re.M)
        n = int(numbered[-1]) if numbered else 1
        tasks = [f"Describe the {WORDS[(h >> (4 * i)) % 10]} number {h % 997 + i} in one line." for i in range(3)]
        return reply(params, "\n".join(f"{n + i}. {t}" for i, t in enumerate(tasks)), tasks=tasks)
    if "Question:" in prompt:
        return "We add the numbers step by step: 40 + 2 = 42. The answer is 42."
    if params.get("schema"):  # any other structured request: an instance of its schema
        return json.dumps(schema_instance(params["schema"], h % 1000))
    return "A short, helpful answer."


@pytest.mark.slow
def test_openai_backend_through_the_graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    REFUSED.clear()
    with LoopbackLLMServer(responder=responder) as server:
        config = {
            **TINY,
            "prices": {"gpt-test": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}},
            "experiments": [
                {
                    "name": "api",
                    "regime": "accumulate",
                    "generator": {"backend": "openai", "model": "gpt-test", "base_url": f"{server.url}/v1"},
                    "judge": {"backend": "openai", "model": "judge-test", "base_url": f"{server.url}/v1"},
                }
            ],
        }
        graph = Graph(tmp_path, config, env={"OPENAI_API_KEY": KEY})
        assert graph.materialize("human_data").success
        keys = ["seed_set", "generated_instructions", "cot_traces", "verified_traces"]
        first = graph.materialize_keys(keys, partition_key("api", 0))
        assert first.success
        calls_after_first = len(server.log.entries)
        second = graph.materialize_keys(keys, partition_key("api", 0))
        assert second.success
        assert len(server.log.entries) == calls_after_first  # the re-materialization called nothing
        assert all(KEY in h.get("authorization", "") for h in server.headers_seen)

    meta = {run: _metadata(result) for run, result in (("first", first), ("second", second))}
    for asset in ("generated_instructions", "cot_traces"):
        m1, m2 = meta["first"][asset], meta["second"][asset]
        assert m1["cache_misses"] > 0 and m1["cost_usd"] > 0 and m1["input_tokens"] > 0
        assert m2["cache_hits"] == m1["cache_misses"] and m2["cache_misses"] == 0 and m2["cost_usd"] == 0
        assert m1["generator"] == "openai:gpt-test"
    judged = meta["first"]["verified_traces"]
    assert judged["judge_generator"] == "openai:judge-test" and judged["judge_cache_misses"] > 0
    assert meta["second"]["verified_traces"]["judge_cache_misses"] == 0
    verified = graph.table("verified_traces")
    assert verified["judge_score"].between(1, 10).all()
    assert set(verified["verifier"]) <= {"math_reference", "constraints", "self_consistency", "llm_judge"}
    assert "| format_retries | 2 |" in meta["first"]["generated_instructions"]["llm_calls"]  # the refusals
    tasks = graph.table("generated_instructions")
    failures = tasks[tasks["failure"].notna()]
    assert len(tasks) > len(failures) and (tasks[tasks["failure"].isna()]["instruction"].str.len() > 0).all()
    traces = graph.table("cot_traces")
    assert set(traces["task_id"]) & set(tasks[tasks["failure"].isna()]["id"])
    assert not set(traces["task_id"]) & set(failures["id"])  # failures are never solved

    logs = json.dumps([str(e) for e in graph.instance.all_logs(first.run_id)])
    assert KEY not in logs and KEY not in json.dumps(meta, default=str)


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, Any]]:
    out = {}
    for event in result.get_asset_materialization_events():
        mat = event.step_materialization_data.materialization
        out[mat.asset_key.to_user_string()] = {k: v.value for k, v in mat.metadata.items()}
    return out


@pytest.mark.slow
def test_a_spent_budget_fails_the_step_with_what_it_bought(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each of the round's two calls is estimated at $0.31-0.37 at this price: the first fits the
    $0.40 budget, the second cannot (what the first cost plus its own estimate is above it)."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    REFUSED.clear()
    with LoopbackLLMServer(responder=responder) as server:
        generator = {"backend": "openai", "model": "gpt-test", "base_url": f"{server.url}/v1", "concurrency": 1}
        config = {
            **TINY,
            "prices": {"gpt-test": {"input_per_mtok": 1000.0, "output_per_mtok": 1000.0}},
            "experiments": [
                {"name": "cheap", "regime": "replace", "generator": {**generator, "budget_usd": 0.4}},
            ],
        }
        graph = Graph(tmp_path, config, env={"OPENAI_API_KEY": KEY})
        assert graph.materialize("human_data").success
        result = graph.materialize_keys(["seed_set", "generated_instructions"], partition_key("cheap", 0))
        answered = len(server.log.answered())
    assert not result.success
    [failure] = [e for e in result.get_step_failure_events() if e.step_key == "generated_instructions"]
    user = failure.step_failure_data.user_failure_data
    assert user is not None and "raise budget_usd" in (user.description or "")
    metadata = {k: v.value for k, v in user.metadata.items()}
    assert 0 < metadata["cost_usd"] <= 0.4 and metadata["cache_misses"] >= answered >= 1
