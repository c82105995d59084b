"""The nightly schedule: refresh human data when the seed files changed, else advance every
unfinished experiment by one round. Run keys carry the date, so a repeated tick is a no-op."""

from __future__ import annotations

import dagster as dg

from synth_assets.orchestration.automation.planning import REASON_TAG, latest_data_version, nightly_plan
from synth_assets.orchestration.resources.pipeline_config import PipelineConfig
from synth_assets.seeds.fingerprint import fingerprint

HUMAN_ASSETS = [dg.AssetKey("human_seeds"), dg.AssetKey("heldout_human")]


def build_nightly_schedule(
    job: dg.UnresolvedAssetJobDefinition, pipeline_keys: list[dg.AssetKey], cron: str = "0 2 * * *"
) -> dg.ScheduleDefinition:
    @dg.schedule(
        job=job,
        cron_schedule=cron,
        execution_timezone="UTC",
        name="nightly_advance",
        description="Nightly: refresh round 0 inputs when the human seeds changed, else advance each "
        "unfinished experiment by one round.",
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )
    def nightly_advance(context: dg.ScheduleEvaluationContext, pipeline_config: PipelineConfig):
        day = context.scheduled_execution_time.strftime("%Y-%m-%d") if context.scheduled_execution_time else "now"
        current = fingerprint(pipeline_config.seeds_dir, pipeline_config.heldout_dir)
        if latest_data_version(context.instance, "human_seeds") != current:
            # the sensor starts round 0 of every experiment once the refreshed human_seeds lands
            return [
                dg.RunRequest(
                    run_key=f"human-data:{current}",
                    asset_selection=HUMAN_ASSETS,
                    tags={REASON_TAG: "human-seeds-changed"},
                )
            ]
        plan = nightly_plan(context.instance, pipeline_config.experiments())
        if not plan:
            return dg.SkipReason("every experiment has reached its configured number of rounds")
        return [
            dg.RunRequest(
                run_key=f"nightly:{day}:{p.partition}",
                partition_key=p.partition,
                asset_selection=pipeline_keys,
                tags=p.tags(),
            )
            for p in plan
        ]

    return nightly_advance
