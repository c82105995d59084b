"""The experiment's embedder on an OpenAI-compatible /v1/embeddings endpoint, through the real
asset graph: the funnel's semantic step and the collapse metrics embed there, their cost and
cache show in the metadata, a re-run embeds nothing, and the key stays out of everything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synth_assets.storage.previous_round import partition_key
from synth_assets_tests.conftest import TINY
from synth_assets_tests.orchestration_tests.assets_tests.graph import Graph
from synth_assets_tests.orchestration_tests.assets_tests.test_remote_generator import KEY, _metadata, responder
from synth_assets_tests.support.loopback_server import LoopbackLLMServer

ROUND = ["seed_set", "generated_instructions", "cot_traces", "verified_traces", "filtered_set", "final_mix"]
MEASURED = ["student_model", "collapse_metrics"]


def test_an_embedding_endpoint_serves_the_funnel_and_the_metrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with LoopbackLLMServer(responder=responder) as server:
        endpoint = {"backend": "openai", "base_url": f"{server.url}/v1"}
        config = {
            **TINY,
            "prices": {"embed-test": {"input_per_mtok": 0.02, "output_per_mtok": 0.0}},
            "experiments": [
                {
                    "name": "api",
                    "regime": "accumulate",
                    "generator": {**endpoint, "model": "gpt-test"},
                    "embedder": {**endpoint, "model": "embed-test", "batch_size": 16, "dimensions": 32},
                    "filters": {"semantic_duplicate_threshold": 0.95},
                }
            ],
        }
        graph = Graph(tmp_path, config, env={"OPENAI_API_KEY": KEY})
        assert graph.materialize("human_data").success
        key = partition_key("api", 0)
        first = graph.materialize_keys([*ROUND, *MEASURED], key)
        assert first.success
        embedded = len(server.log.answered("embeddings"))
        again = graph.materialize_keys(["filtered_set", *MEASURED], key)
        assert again.success
        embedded_again = len(server.log.answered("embeddings"))

    meta = {"first": _metadata(first), "again": _metadata(again)}
    assert embedded > 0 and embedded_again == embedded, "a re-run reads every vector from the cache"
    for asset in ("filtered_set", "collapse_metrics"):
        m1, m2 = meta["first"][asset], meta["again"][asset]
        assert m1["embedder"] == "openai:embed-test@32"
        assert m1["embedding_cost_usd"] > 0 and m2["embedding_cost_usd"] == 0
        assert "cache_hits" in m2["embedding_calls"]
    metrics = graph.table("collapse_metrics")
    assert metrics["embedder"].tolist() == ["openai:embed-test@32"]
    assert metrics["vendi"].between(1, 10_000).all() and metrics["embedding_recall"].between(0, 1).all()
    bodies = [e["body"] for e in server.log.answered("embeddings")]
    assert {b["model"] for b in bodies} == {"embed-test"} and {b["dimensions"] for b in bodies} == {32}
    assert max(len(b["input"]) for b in bodies) <= 16
    logs = json.dumps([str(e) for e in graph.instance.all_logs(first.run_id)])
    assert KEY not in logs and KEY not in json.dumps(meta, default=str)
