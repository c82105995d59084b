"""The sensor that chains rounds: final_mix[e, r] materialized -> run [e, r+1] until the
experiment's configured rounds; human_seeds re-materialized with new data -> run round 0 of every
experiment. A storage-id cursor and per-event run keys make a second evaluation emit nothing new."""

from __future__ import annotations

import dagster as dg

from synth_assets.config.experiments import ExperimentsFile
from synth_assets.orchestration.automation.planning import RoundRequest
from synth_assets.orchestration.resources.pipeline_config import PipelineConfig

BATCH = 200


def requests_for(
    record: dg.EventLogRecord, experiments: ExperimentsFile, partitions: dg.MultiPartitionsDefinition
) -> list[RoundRequest]:
    event = record.asset_materialization
    if event is None:
        return []
    if event.asset_key == dg.AssetKey("human_seeds"):
        return [RoundRequest(e.name, 0, "human-seeds-refreshed") for e in experiments.experiments]
    if not event.partition:
        return []
    try:
        keys = partitions.get_partition_key_from_str(event.partition)
    except Exception:  # a partition of an experiment no longer configured
        return []
    name, round_ = keys.keys_by_dimension["experiment"], int(keys.keys_by_dimension["round"])
    if name not in experiments.names or round_ + 1 >= experiments.get(name).rounds:
        return []
    return [RoundRequest(name, round_ + 1, f"after-final_mix-{round_}")]


def build_round_chain_sensor(
    job: dg.UnresolvedAssetJobDefinition, partitions: dg.MultiPartitionsDefinition
) -> dg.SensorDefinition:
    @dg.sensor(
        job=job,
        name="advance_rounds",
        minimum_interval_seconds=30,
        description="Chains rounds of each experiment up to its configured maximum.",
        default_status=dg.DefaultSensorStatus.STOPPED,
    )
    def advance_rounds(context: dg.SensorEvaluationContext, pipeline_config: PipelineConfig):
        experiments = pipeline_config.experiments()
        cursor = int(context.cursor) if context.cursor else 0
        batches = [
            context.instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), after_storage_id=cursor),
                limit=BATCH,
                ascending=True,
            ).records
            for asset in ("final_mix", "human_seeds")
        ]
        # a full batch may have more behind it: only advance the cursor as far as every list is complete
        horizon = min((b[-1].storage_id for b in batches if len(b) == BATCH), default=None)
        records = sorted(
            (r for b in batches for r in b if horizon is None or r.storage_id <= horizon), key=lambda r: r.storage_id
        )
        requests = [
            dg.RunRequest(
                run_key=f"chain:{req.partition}:after:{rec.storage_id}", partition_key=req.partition, tags=req.tags()
            )
            for rec in records
            for req in requests_for(rec, experiments, partitions)
        ]
        if records:
            context.update_cursor(str(records[-1].storage_id))
        return requests or dg.SkipReason("no new final_mix or human_seeds materializations")

    return advance_rounds
