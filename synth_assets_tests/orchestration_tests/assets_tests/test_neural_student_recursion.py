"""`generator: neural_student`: each round is written by the previous round's neural student (a
transformer trained from scratch on that round's mix), through the real asset graph, with a
small network so two rounds take well under a minute of training."""

import json

import pytest

from synth_assets.storage.previous_round import partition_key
from synth_assets_tests.conftest import TINY
from synth_assets_tests.orchestration_tests.assets_tests.graph import Graph

pytestmark = pytest.mark.slow
SMALL = {"width": 32, "layers": 1, "context": 32, "max_steps": 50}
CONFIG = {
    "defaults": TINY["defaults"],
    "experiments": [
        {
            "name": "neu",
            "regime": "accumulate",
            "seed": 5,
            "generator": {"backend": "neural_student"},
            "verify": {"constraint_share": 0},
            "student": SMALL,
            "sizes": {"instructions_per_round": 8, "math_problems_per_round": 0, "reference_tasks_per_round": 0},
        }
    ],
}
ROUND = ["student_model", "collapse_metrics"]


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> Graph:
    g = Graph(tmp_path_factory.mktemp("neural"), CONFIG)
    assert g.materialize("human_data").success
    for r in range(2):
        assert g.materialize("pipeline", partition_key("neu", r)).success
        assert g.materialize_keys(ROUND, partition_key("neu", r)).success
    return g


def test_each_round_is_written_by_the_previous_neural_student(graph: Graph) -> None:
    artifacts = graph.settings.data_dir / "artifacts"
    record = json.loads((artifacts / "student_model" / "neu" / "0" / "model.json").read_text())
    assert (artifacts / "student_model" / "neu" / "0" / record["neural"]["file"]).exists()
    for r, expected in enumerate(["neural_student:human-pool", f"neural_student:neu|0@{record['version']}"]):
        assert set(graph.table("generated_instructions", f"where round = {r}")["generator"]) == {expected}
        traces = graph.table("cot_traces", f"where round = {r}")
        assert set(traces["generator"]) == {expected} and (traces["response"].str.len() > 0).any()
    # round 0's two generating stages share one student of the human pool, trained once
    assert len(list((artifacts / "human_pool_students").glob("*.npz"))) == 1


def test_both_students_are_measured_with_intervals(graph: Graph) -> None:
    metrics = graph.table("collapse_metrics", "where experiment = 'neu'").sort_values("round")
    assert metrics["round"].tolist() == [0, 1]
    for name in ("heldout_perplexity", "neural_heldout_perplexity"):
        assert (metrics[f"{name}_lo"] < metrics[name]).all() and (metrics[name] < metrics[f"{name}_hi"]).all()
    # trained on a few dozen rows, both students still do far better than a uniform guess
    assert (metrics["neural_heldout_perplexity"] < 2_000).all()


def test_the_students_training_is_in_the_metadata(graph: Graph) -> None:
    meta = graph.latest_metadata("student_model", partition_key("neu", 1))
    assert meta["neural_steps"].value <= SMALL["max_steps"] and meta["neural_parameters"].value > 10_000
    assert meta["neural_config"].value["width"] == SMALL["width"]
