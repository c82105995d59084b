"""Whole rounds through the real asset graph, generating through the official OpenAI SDK against
the loopback server (fast, no local model): a fixed human fraction mixed and checked, traces cut
at max_tokens dropped as truncated, and the held-out split refusing to overlap the seeds."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from synth_assets.storage.previous_round import partition_key
from synth_assets_tests.conftest import TINY
from synth_assets_tests.orchestration_tests.assets_tests.graph import Graph
from synth_assets_tests.orchestration_tests.assets_tests.test_remote_generator import KEY, responder
from synth_assets_tests.support.loopback_server import LoopbackLLMServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rounds(tmp_path_factory: pytest.TempPathFactory):
    """Round 0 of `half` (fixed_fraction 0.5) and of `cut` (traces limited to 8 tokens: the
    responder's 16-word math answers are cut, its 4-word general answers are not)."""
    with pytest.MonkeyPatch.context() as mp, LoopbackLLMServer(responder=responder) as server:
        mp.setenv("OPENAI_API_KEY", KEY)
        generator = {"backend": "openai", "model": "gpt-test", "base_url": f"{server.url}/v1"}
        config = {
            **TINY,
            "experiments": [
                {"name": "half", "regime": "fixed_fraction", "human_fraction": 0.5, "generator": generator},
                {"name": "cut", "regime": "replace", "generator": {**generator, "trace_max_tokens": 8}},
            ],
        }
        graph = Graph(tmp_path_factory.mktemp("remote_round"), config, env={"OPENAI_API_KEY": KEY})
        assert graph.materialize("human_data").success
        results = {name: graph.materialize("pipeline", partition_key(name, 0)) for name in ("half", "cut")}
    yield graph, results


def _check(result: dg.ExecuteInProcessResult, stage: str) -> dg.AssetCheckEvaluation:
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.asset_key == dg.AssetKey(stage)]
    return evaluation


def test_a_fixed_human_fraction_is_mixed_and_its_check_passes(rounds) -> None:
    graph, results = rounds
    assert results["half"].success
    mix = graph.table("final_mix", "where experiment = 'half' and round = 0")
    humans, total = int((mix["origin"] == "human").sum()), len(mix)
    synthetic_kept = int(graph.table("filtered_set", "where experiment = 'half' and kept").shape[0])
    assert total == min(TINY["defaults"]["sizes"]["mix_size"], 2 * synthetic_kept) and total > 0
    assert abs(humans - 0.5 * total) <= 0.5
    evaluation = _check(results["half"], "final_mix")
    assert evaluation.passed and "is_human" in json.dumps(evaluation.metadata["expectations"].value)


def test_traces_cut_at_max_tokens_are_dropped_as_truncated(rounds) -> None:
    graph, results = rounds
    assert results["cut"].success
    traces = graph.table("cot_traces", "where experiment = 'cut' and round = 0")
    cut = traces["finish_reason"] == "length"  # the SDK's "length", as the server sent it
    assert cut.any() and (traces.loc[cut, "response"].str.split().str.len() == 8).all()
    assert (traces.loc[~cut, "response"].str.split().str.len() < 8).all()
    funnel = graph.table("filtered_set", "where experiment = 'cut' and round = 0")
    truncated = funnel["drop_reason"] == "truncated"
    assert truncated.any() and set(funnel.loc[truncated, "finish_reason"]) == {"length"}
    assert (funnel.loc[funnel["finish_reason"] == "length", "drop_reason"] == "truncated").all()
    assert set(funnel.loc[truncated, "drop_detail"]) == {"finish_reason 'length': cut off at max_tokens"}


def test_a_held_out_task_that_is_also_a_seed_fails_heldout_human(rounds, tmp_path: Path) -> None:
    graph, _ = rounds
    heldout = graph.settings.heldout_dir / "math_problems.jsonl"
    original = heldout.read_text()
    seed = json.loads((graph.settings.seeds_dir / "math_problems.jsonl").read_text().splitlines()[0])
    try:
        heldout.write_text(original + json.dumps({**seed, "id": "math-leak"}) + "\n")
        result = graph.materialize_keys(["heldout_human"])
    finally:
        heldout.write_text(original)
    assert not result.success
    [failure] = [e for e in result.get_step_failure_events() if e.step_key == "heldout_human"]
    message = failure.step_failure_data.user_failure_data.description or ""
    assert message.startswith("1 held-out task(s) also appear in the seeds") and seed["question"][:20] in message
    assert graph.materialize_keys(["heldout_human"]).success  # the files as shipped: no overlap


def test_the_audit_job_shows_a_rows_ancestry_as_metadata(rounds) -> None:
    """What a person launches from the UI's Launchpad: the row id in the run config, the tree,
    verdicts and generators in the step's metadata; an unknown id fails saying so."""
    from synth_assets.orchestration.audit_job import AUDIT_JOB, audit_job

    graph, _ = rounds
    defs = dg.Definitions(jobs=[audit_job], resources=graph.resources)
    job = defs.resolve_job_def(AUDIT_JOB)
    [row_id] = graph.table("final_mix", "where experiment = 'half' and origin = 'synthetic' order by id limit 1")["id"]
    result = job.execute_in_process(run_config={"ops": {"audit_row": {"config": {"row_id": row_id}}}})
    assert result.success
    [output] = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    meta = {k: v.value for k, v in output.event_specific_data.metadata.items()}
    assert meta["unbroken_chain"] is True and meta["human_seed_rows"] >= 1 and meta["row_id"] == row_id
    tree = meta["ancestry"]
    assert tree.startswith(f"- **final_mix** `{row_id}`, half round 0, synthetic")
    for stage in ("filtered_set", "verified_traces", "cot_traces", "seed_set", "human_seeds"):
        assert f"- **{stage}** `" in tree, stage
    assert "generator `openai:gpt-test`" in tree and "verdict " in tree
    unknown = job.execute_in_process(
        run_config={"ops": {"audit_row": {"config": {"row_id": "fin-none"}}}}, raise_on_error=False
    )
    [failure] = unknown.get_step_failure_events()
    assert "no row with id 'fin-none' in any stage table" in failure.step_failure_data.user_failure_data.description
