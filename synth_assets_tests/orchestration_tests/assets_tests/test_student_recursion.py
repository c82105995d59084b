"""`generator: student`: each round is written by the previous round's n-gram student, through
the real asset graph (fast: no LLM involved)."""

import json

import pytest

from synth_assets.storage.previous_round import partition_key
from synth_assets_tests.conftest import TINY
from synth_assets_tests.orchestration_tests.assets_tests.graph import Graph

pytestmark = pytest.mark.slow
CONFIG = {
    "defaults": TINY["defaults"],
    "experiments": [
        {
            "name": "stu",
            "regime": "replace",
            "seed": 5,
            "generator": {"backend": "student"},
            "verify": {"constraint_share": 0},  # as data/experiments.yaml's student experiments
        }
    ],
}
ROUND = ["student_model", "collapse_metrics"]


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> Graph:
    g = Graph(tmp_path_factory.mktemp("student"), CONFIG)
    assert g.materialize("human_data").success
    return g


def test_round_one_needs_round_zeros_student(graph: Graph) -> None:
    assert graph.materialize("pipeline", partition_key("stu", 0)).success
    result = graph.materialize("pipeline", partition_key("stu", 1))
    assert not result.success
    errors = [e.step_failure_data.error.message for e in result.all_events if e.is_step_failure]
    assert any("no student for partition 'stu|0'" in m and "materialize student_model" in m for m in errors), errors


def test_each_round_is_generated_by_the_previous_student(graph: Graph) -> None:
    versions = {}
    for r in range(3):
        assert graph.materialize("pipeline", partition_key("stu", r)).success
        assert graph.materialize_keys(ROUND, partition_key("stu", r)).success
        artifact = graph.settings.data_dir / "artifacts" / "student_model" / "stu" / str(r) / "model.json"
        versions[r] = json.loads(artifact.read_text())["version"]
    for r in range(3):
        labels = set(graph.table("generated_instructions", f"where round = {r}")["generator"])
        expected = "student:human-pool" if r == 0 else f"student:stu|{r - 1}@{versions[r - 1]}"
        assert labels == {expected}
        traces = graph.table("cot_traces", f"where round = {r}")
        assert set(traces["generator"]) == {expected} and (traces["response"].str.len() > 0).any()
    metrics = graph.table("collapse_metrics", "where experiment = 'stu'").sort_values("round")
    assert metrics["round"].tolist() == [0, 1, 2]
    assert metrics["heldout_perplexity"].notna().all()
    assert set(metrics["experiment_group"]) == {"stu"} and set(metrics["regime"]) == {"replace"}
    assert (metrics["heldout_perplexity_lo"] < metrics["heldout_perplexity"]).all()
    assert (metrics["heldout_perplexity"] < metrics["heldout_perplexity_hi"]).all()
    assert set(graph.table("final_mix", "where experiment = 'stu'")["weight"]) == {1.0}  # no human_weight set
