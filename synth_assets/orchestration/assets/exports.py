"""Per round: the round's training files (SFT from final_mix, DPO from the `preference_pairs`
stage) as JSONL and Parquet under `data/exports/<experiment>/<round>/`, with a dataset card."""

from dataclasses import replace
from pathlib import Path

import dagster as dg
import pandas as pd

from synth_assets.config.experiments import Experiment
from synth_assets.core.files import write_text
from synth_assets.core.rows import content_hash, nullable
from synth_assets.export.card import CardFacts, dataset_card
from synth_assets.export.files import write_jsonl_and_parquet
from synth_assets.export.formats import (
    agent_sft_record,
    dialogue_sft_record,
    dpo_record,
    sft_record,
    trainable_trajectories,
)
from synth_assets.filters.funnel import funnel_counts
from synth_assets.orchestration.assets.metadata import markdown_table, round_asset_args
from synth_assets.orchestration.resources.pipeline_config import PipelineConfig
from synth_assets.provenance.audit import ensure_lineage_view
from synth_assets.stages.agent_trajectories import agent_stats
from synth_assets.stages.ai_preferences import preference_stats
from synth_assets.stages.verified_traces import verification_stats
from synth_assets.storage.sql_files import sql
from synth_assets.storage.warehouse import WarehouseResource

GROUP = "exports"


def build_export_assets(partitions: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    return [_files_asset(partitions)]


def _files_asset(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    common = round_asset_args(partitions, GROUP, __name__, "synth_assets.export.formats")

    @dg.asset(**common, kinds={"parquet", "json"})
    def training_files(
        context: dg.AssetExecutionContext,
        pipeline_config: PipelineConfig,
        warehouse: WarehouseResource,
        final_mix: pd.DataFrame,
        preference_pairs: pd.DataFrame,
        ai_preferences: pd.DataFrame,
        agent_trajectories: pd.DataFrame,
        dialogues: pd.DataFrame,
        verified_traces: pd.DataFrame,
        filtered_set: pd.DataFrame,
        collapse_metrics: pd.DataFrame,
    ) -> dg.MaterializeResult:
        """The round's training data as files any trainer reads: SFT conversations (`messages`)
        from final_mix, DPO pairs (`prompt`/`chosen`/`rejected`) and agent trajectories
        (`messages` with tool calls, and `tools`), each as JSONL and Parquet, with a dataset card
        (README.md) that says how they were made."""
        exp, round_ = pipeline_config.partition(context)
        folder = Path(pipeline_config.data_dir) / "exports" / exp.name / str(round_)
        agents = trainable_trajectories([_plain(r) for r in agent_trajectories.to_dict("records")])
        facts = card_facts(exp, round_, final_mix, preference_pairs, verified_traces, filtered_set, collapse_metrics)
        facts = replace(
            facts,
            feedback=preference_stats(ai_preferences) if len(ai_preferences) else {},
            agents={**agent_stats(agent_trajectories), "in_agent_sft": len(agents)} if len(agent_trajectories) else {},
            dialogues=int(dialogues["failure"].isna().sum()) if len(dialogues) else 0,
        )
        with warehouse.get_connection() as conn:
            facts = replace(facts, lineage=partition_lineage(conn, exp.name, round_))
        write_text(folder / "README.md", dataset_card(facts))
        sft = write_jsonl_and_parquet((sft_record(_plain(r)) for r in final_mix.to_dict("records")), folder / "sft")
        dpo = write_jsonl_and_parquet(
            (dpo_record(_plain(r)) for r in preference_pairs.to_dict("records")), folder / "dpo"
        )
        agent = write_jsonl_and_parquet((agent_sft_record(r) for r in agents), folder / "agent_sft")
        complete = [_plain(r) for r in dialogues.to_dict("records") if nullable(r["failure"]) is None]
        talks = write_jsonl_and_parquet((dialogue_sft_record(r) for r in complete), folder / "dialogue_sft")
        files = {
            f"{kind}_{fmt}": dg.MetadataValue.path(str(p))
            for kind, paths in (("sft", sft), ("dpo", dpo), ("agent_sft", agent), ("dialogue_sft", talks))
            for fmt, p in paths.items()
        }
        return dg.MaterializeResult(
            metadata={
                **files,
                "dataset_card": dg.MetadataValue.path(str(folder / "README.md")),
                "sft_rows": dg.MetadataValue.int(len(final_mix)),
                "dpo_pairs": dg.MetadataValue.int(len(preference_pairs)),
                "dpo_pairs_by_source": dg.MetadataValue.json(facts.pair_sources),
                "agent_trajectories": dg.MetadataValue.int(len(agents)),
                "dialogues": dg.MetadataValue.int(len(complete)),
                "sft_sample": dg.MetadataValue.md(markdown_table(final_mix, ["id", "instruction", "response"], 3)),
            }
        )

    return training_files


def card_facts(
    exp: Experiment,
    round_: int,
    final_mix: pd.DataFrame,
    pairs: pd.DataFrame,
    verified: pd.DataFrame,
    filtered: pd.DataFrame,
    metrics: pd.DataFrame,
) -> CardFacts:
    collapse = {k: v for k, v in (metrics.iloc[0].to_dict() if len(metrics) else {}).items() if k not in _KEYS}
    synthetic = final_mix[final_mix["origin"] == "synthetic"]
    return CardFacts(
        experiment=exp.name,
        regime=exp.regime,
        round_=round_,
        generators=sorted({str(g) for g in synthetic["generator"].dropna()}),
        config_hash=content_hash(exp.model_dump(mode="json"), length=12),
        sft_rows=len(final_mix),
        dpo_pairs=len(pairs),
        human_fraction=float((final_mix["origin"] == "human").mean()) if len(final_mix) else 0.0,
        funnel=funnel_counts(filtered) if len(filtered) else {},
        verification=verification_stats(verified) if len(verified) else {},
        collapse=collapse,
        recipes=_recipe_counts(final_mix),
        pair_sources=_counts(pairs, "source"),
    )


def _recipe_counts(final_mix: pd.DataFrame) -> dict[str, int]:
    return _counts(final_mix, "recipe")


def _counts(df: pd.DataFrame, column: str) -> dict[str, int]:
    if column not in df or df.empty:
        return {}
    return {str(k): int(v) for k, v in df[column].fillna("unknown").value_counts().sort_index().items()}


def partition_lineage(conn, experiment: str, round_: int) -> dict[str, int]:
    ensure_lineage_view(conn)
    rows, unbroken, seeds = conn.execute(sql("queries/partition_lineage"), [experiment, round_]).fetchone()
    return {"rows": int(rows), "unbroken_rows": int(unbroken), "human_seed_ancestors": int(seeds)}


_KEYS = ("experiment", "round", "run_id", "student")


def _plain(row: dict) -> dict:
    return {k: nullable(v) for k, v in row.items()}
