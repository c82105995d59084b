import dagster as dg

from synth_assets.config.settings import Settings
from synth_assets.orchestration import definitions
from synth_assets.orchestration.jobs import HUMAN_DATA_JOB, ROUND_JOB
from synth_assets.stages.registry import STAGES
from synth_assets.storage.warehouse_models import all_models

defs = definitions.build_definitions(Settings.from_env())


def test_the_location_is_one_lazy_definitions_object_built_on_load(monkeypatch) -> None:
    """Importing the module builds nothing (the CLI builds once itself); Dagster's loader calls `defs`."""
    built = []
    real = definitions.build_definitions
    monkeypatch.setattr(definitions, "build_definitions", lambda s: built.append(s) or real(s))
    loaded = dg.Definitions  # what Dagster gets from the module's `defs`
    assert isinstance(definitions.defs(), loaded) and len(built) == 1


def test_code_location_loads_every_stage() -> None:
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    sql_models = {m.name for m in all_models()}
    collapse = {"student_model", "collapse_metrics", "collapse_report"}
    exports = {"preference_pairs", "training_files"}
    assert keys == {
        "human_seeds",
        "heldout_human",
        "personas",
        "curriculum",
        "constitution",
        "code_snippets",
        *STAGES,
        *collapse,
        *exports,
        *sql_models,
    }


def test_jobs_and_partitions() -> None:
    job = defs.resolve_job_def(ROUND_JOB)
    keys = job.partitions_def.get_partition_keys()
    # the default file: the LLM round, and every replicate of the student experiments per round
    assert {"accumulate|0", "student-replace-r0|0", "student-replace-verified-r2|2"} <= set(keys)
    assert defs.resolve_job_def(HUMAN_DATA_JOB).partitions_def is None


def test_stage_assets_declare_schema_partitions_and_docs() -> None:
    graph = defs.resolve_asset_graph()
    for stage in STAGES:
        node = graph.get(dg.AssetKey(stage))
        assert node.partitions_def is not None
        assert node.metadata["partition_expr"] == {"experiment": "experiment", "round": "round"}
        schema = node.metadata["dagster/column_schema"]
        assert {"experiment", "round", "id", "parent_ids", "origin", "generator", "prompt_hash", "run_id"} <= {
            c.name for c in schema.columns
        }
        assert node.description and "duckdb" in node.kinds
