"""Blocking data-quality checks on every stage: bad data stops the run before it propagates.

Great Expectations is imported when a check first runs, not when the code location loads: it is
1.8 s of the start-up of every process that loads the definitions (webserver, daemon, runs).
"""

import warnings

import dagster as dg
import pandas as pd

from synth_assets.orchestration.assets.metadata import markdown_table
from synth_assets.orchestration.resources.pipeline_config import PipelineConfig
from synth_assets.provenance.lineage import upstream_query, upstreams
from synth_assets.storage.previous_round import read_partition
from synth_assets.storage.warehouse import WarehouseResource


def _upstream_ids(warehouse: WarehouseResource, stage: str, experiment: str, round_: int) -> set[str]:
    ids: set[str] = set()
    with warehouse.get_connection() as conn:
        for up in upstreams(stage, round_):
            query = upstream_query(up, experiment, round_)
            if query is not None:
                ids |= {r[0] for r in conn.execute(*query).fetchall()}
    return ids


def _heldout_keys(warehouse: WarehouseResource) -> set[tuple[str, str]]:
    with warehouse.get_connection() as conn:
        return set(conn.execute("select instruction, coalesce(input, '') from main.heldout_human").fetchall())


def build_stage_check(asset: dg.AssetsDefinition, partitions: dg.PartitionsDefinition) -> dg.AssetChecksDefinition:
    """Partitioned like its asset, so the UI shows each partition's result and a failed check
    blocks only that partition's downstream steps. Partitioned checks are a Dagster preview
    feature (1.13): chosen on purpose, so its preview notice is not repeated on every load."""
    stage = asset.key.to_user_string()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return _stage_check(asset, partitions, stage)


def declared_schema(asset: dg.AssetsDefinition) -> dg.TableSchema:
    """The column schema the asset declares: the same one the IO manager writes and the UI shows."""
    return asset.metadata_by_key[asset.key]["dagster/column_schema"]


def _stage_check(
    asset: dg.AssetsDefinition, partitions: dg.PartitionsDefinition, stage: str
) -> dg.AssetChecksDefinition:
    schema = declared_schema(asset)

    @dg.asset_check(
        asset=asset,
        name="contract",
        blocking=True,
        partitions_def=partitions,
        description=f"Great Expectations suite for {stage}: schema, ids, domains, parents upstream"
        + (", human fraction, no held-out rows" if stage == "final_mix" else ""),
    )
    def _check(
        context: dg.AssetCheckExecutionContext, pipeline_config: PipelineConfig, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        from synth_assets.contracts import expectations as gx_suites

        exp, round_ = pipeline_config.partition(context)
        with warehouse.get_connection() as conn:
            df = read_partition(conn, stage, exp.name, round_)
        derived_suite = gx_suites.parents_suite()
        heldout = None
        if stage == "final_mix":
            heldout = _heldout_keys(warehouse)
            derived_suite += gx_suites.heldout_suite()
            target = exp.target_human_fraction(round_)
            if target is not None and len(df):
                tolerance = exp.checks.human_fraction_tolerance + 0.5 / len(df)
                derived_suite += gx_suites.human_fraction_suite(target, tolerance)
        derived = gx_suites.with_derived(df, _upstream_ids(warehouse, stage, exp.name, round_), heldout)
        suite = gx_suites.contract_suite(schema, partitioned=True, derived=tuple(derived.columns))
        outcomes = gx_suites.validate(pd.concat([df, derived], axis=1), suite + derived_suite)
        return gx_suites.check_result(outcomes, {"rows": len(df)})

    return _check


def build_human_check(asset: dg.AssetsDefinition) -> dg.AssetChecksDefinition:
    stage, schema = asset.key.to_user_string(), declared_schema(asset)

    @dg.asset_check(
        asset=asset,
        name="contract",
        blocking=True,
        description=f"Great Expectations suite for {stage}: schema, ids, human origin only",
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        from synth_assets.contracts import expectations as gx_suites

        with warehouse.get_connection() as conn:
            df = conn.execute(f"select * from main.{stage}").fetchdf()
        outcomes = gx_suites.validate(df, gx_suites.contract_suite(schema, partitioned=False, human=True))
        return gx_suites.check_result(outcomes, {"rows": len(df)})

    return _check


@dg.asset_check(
    asset="lineage_summary",
    name="unbroken_chains",
    blocking=False,
    description="Every final_mix row must trace back to human seed rows with no missing ancestor.",
)
def lineage_unbroken(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.get_connection() as conn:
        df = conn.execute("select * from main.lineage_summary order by experiment, round").fetchdf()
    broken = df[df["unbroken_rows"] < df["rows"]]
    return dg.AssetCheckResult(
        passed=broken.empty,
        severity=dg.AssetCheckSeverity.ERROR,
        description="every chain unbroken"
        if broken.empty
        else f"{len(broken)} partition(s) with broken chains: re-materialize them (an upstream round was replaced)",
        metadata={
            "broken_partitions": dg.MetadataValue.md(markdown_table(broken) if len(broken) else "_none_"),
            "min_unbroken_pct": float(df["unbroken_pct"].min()) if len(df) else 100.0,
        },
    )
