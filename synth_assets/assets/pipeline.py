"""The six partitioned stages of one round. Each asset resolves its partition, calls the stage
function, and reports metadata; the logic lives in `synth_assets.stages`."""

from contextlib import nullcontext
from dataclasses import asdict

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from synth_assets import schemas
from synth_assets.assets.metadata import (
    OWNERS,
    budget_failure,
    counts_table,
    llm_metadata,
    markdown_table,
    progress_logger,
    table_metadata,
)
from synth_assets.assets.partitions import PARTITION_EXPR, resolve
from synth_assets.assets.resources import PipelineConfig
from synth_assets.collapse.texts import training_texts
from synth_assets.filters.funnel import funnel_counts
from synth_assets.llm.resource import GeneratorResource
from synth_assets.stages.cot_traces import sample_traces, task_table
from synth_assets.stages.filtered_set import filter_traces
from synth_assets.stages.final_mix import compose_mix
from synth_assets.stages.generated_instructions import generate_instructions
from synth_assets.stages.seed_set import pool_from
from synth_assets.stages.verified_traces import VerifySettings, verification_stats, verify_traces
from synth_assets.storage.previous_round import require_previous_final_mix

GROUP = "pipeline"
# Steps that run a model share this Dagster pool: `dagster instance concurrency set llm_generation 1`
# keeps two local llama.cpp steps from fighting over the cores (it slows both ~15x).
GENERATION_POOL = "llm_generation"
BACKEND_KINDS = {"llamacpp": "llama_cpp", "student": "python", "anthropic": "anthropic", "openai": "openai"}
STAGES = ("seed_set", "generated_instructions", "cot_traces", "verified_traces", "filtered_set", "final_mix")


def _meta(schema: dg.TableSchema) -> dict:
    return {"partition_expr": PARTITION_EXPR, "dagster/column_schema": schema}


def _stats_md(stats: object) -> dg.MetadataValue:
    return dg.MetadataValue.md(counts_table(asdict(stats), "statistic", "value"))  # type: ignore[call-overload]


def build_pipeline_assets(
    partitions: dg.PartitionsDefinition, backends: set[str] = frozenset({"llamacpp"})
) -> list[dg.AssetsDefinition]:
    """`backends` (those the experiments use) become the generating assets' kinds in the UI."""
    common = {"partitions_def": partitions, "group_name": GROUP, "code_version": "1", "owners": OWNERS}
    model_kinds = {"duckdb", *(BACKEND_KINDS[b] for b in backends)}

    @dg.asset(**common, kinds={"duckdb", "pandas"}, metadata=_meta(schemas.SEED_SET))
    def seed_set(
        context: dg.AssetExecutionContext,
        pipeline_config: PipelineConfig,
        warehouse: DuckDBResource,
        human_seeds: pd.DataFrame,
    ) -> dg.Output:
        """The round's in-context pool: the human seeds in round 0, the previous round's final_mix
        of the same experiment after that (read through storage; see the `upstream_*` metadata)."""
        exp, round_ = resolve(context, pipeline_config.experiments())
        upstream: dict = {"upstream": dg.MetadataValue.text("human_seeds")}
        if round_ == 0:
            source = human_seeds
        else:
            with warehouse.get_connection() as conn:
                source, ref = require_previous_final_mix(conn, context.instance, exp.name, round_)
            upstream = {
                "upstream": dg.MetadataValue.text(f"final_mix[{ref.partition}]"),
                "upstream_run_id": dg.MetadataValue.text(ref.run_id or "unknown"),
                "upstream_data_version": dg.MetadataValue.text(ref.data_version or "unknown"),
            }
            if source.empty:
                context.log.warning(f"final_mix[{ref.partition}] is empty: round {round_} has no in-context examples")
        df = pool_from(source, exp.name, round_, context.run.run_id)
        return dg.Output(df, metadata={**table_metadata(df), **upstream})

    @dg.asset(**common, kinds=model_kinds, pool=GENERATION_POOL, metadata=_meta(schemas.GENERATED_INSTRUCTIONS))
    def generated_instructions(
        context: dg.AssetExecutionContext,
        pipeline_config: PipelineConfig,
        generator: GeneratorResource,
        seed_set: pd.DataFrame,
    ) -> dg.Output:
        """New tasks and math problems written Self-Instruct style from sampled pool examples."""
        exp, round_ = resolve(context, pipeline_config.experiments())
        with generator.for_round(exp, round_, seed_set, context.log.info) as gen, budget_failure(gen):
            df, stats = generate_instructions(
                seed_set, exp, round_, gen, context.run.run_id, progress_logger(context, "instruction generation")
            )
        for family in stats.skipped_families:
            context.log.warning(f"no '{family}' examples in the pool: no {family} tasks generated this round")
        return dg.Output(
            df,
            metadata={**table_metadata(df), "generation": _stats_md(stats), **llm_metadata(gen)},
        )

    @dg.asset(**common, kinds=model_kinds, pool=GENERATION_POOL, metadata=_meta(schemas.COT_TRACES))
    def cot_traces(
        context: dg.AssetExecutionContext,
        pipeline_config: PipelineConfig,
        generator: GeneratorResource,
        seed_set: pd.DataFrame,
        generated_instructions: pd.DataFrame,
    ) -> dg.Output:
        """k chain-of-thought samples per task: this round's new tasks plus pool tasks with ground truth."""
        exp, round_ = resolve(context, pipeline_config.experiments())
        tasks = task_table(generated_instructions, seed_set, exp, round_)
        with generator.for_round(exp, round_, seed_set, context.log.info) as gen, budget_failure(gen):
            df, stats = sample_traces(
                tasks, seed_set, exp, round_, gen, context.run.run_id, progress_logger(context, "trace sampling")
            )
        counts = {k: v for k, v in asdict(stats).items() if k not in ("rejection", "attempt_log")}
        return dg.Output(
            df,
            metadata={
                **table_metadata(df),
                "sampling": dg.MetadataValue.md(counts_table(counts, "statistic", "value")),
                "rejection_sampling": dg.MetadataValue.md(counts_table(stats.rejection, "statistic", "value")),
                "attempts": dg.MetadataValue.md(markdown_table(pd.DataFrame(stats.attempt_log), None, 20)),
                **{k: dg.MetadataValue.float(float(v)) for k, v in stats.rejection.items() if k.startswith("pass_at")},
                **llm_metadata(gen),
            },
        )

    @dg.asset(**common, kinds={"duckdb", "pandas"}, metadata=_meta(schemas.VERIFIED_TRACES))
    def verified_traces(
        context: dg.AssetExecutionContext,
        pipeline_config: PipelineConfig,
        generator: GeneratorResource,
        cot_traces: pd.DataFrame,
    ) -> dg.Output:
        """Each trace with a verdict, its verifier and evidence: math answers checked by value,
        self-consistency for math without a reference, and the judge's score where configured."""
        exp, round_ = resolve(context, pipeline_config.experiments())
        judge = generator.for_role(exp, "judge", context.log.info) if exp.judge else None
        settings = VerifySettings(
            consistency_threshold=exp.verify.self_consistency_threshold,
            judge=judge,
            judge_max_tokens=exp.judge.max_tokens if exp.judge else 0,
            seed=exp.seed + (exp.judge.seed if exp.judge else 0),
            sandbox=exp.verify.sandbox_policy(),
        )
        with judge or nullcontext(), budget_failure(judge) if judge else nullcontext():
            df = verify_traces(cot_traces, exp.name, round_, context.run.run_id, settings)
        stats = verification_stats(df)
        judge_meta = {f"judge_{k}": v for k, v in llm_metadata(judge).items()} if judge else {}
        return dg.Output(
            df,
            metadata={
                **table_metadata(df),
                "verified_rate": dg.MetadataValue.float(float(stats["verified_rate"])),
                "reward_hacking": dg.MetadataValue.int(int(stats["reward_hacking"])),
                "verification": dg.MetadataValue.md(counts_table(stats, "statistic", "value")),
                **judge_meta,
            },
        )

    @dg.asset(**common, kinds={"duckdb", "pandas"}, metadata=_meta(schemas.FILTERED_SET))
    def filtered_set(
        context: dg.AssetExecutionContext,
        pipeline_config: PipelineConfig,
        human_seeds: pd.DataFrame,
        seed_set: pd.DataFrame,
        verified_traces: pd.DataFrame,
    ) -> dg.Output:
        """Every verified trace with the funnel's decision; `kept` rows go on to the mix. The
        perplexity band's reference model is trained on `human_seeds`."""
        exp, round_ = resolve(context, pipeline_config.experiments())
        df = filter_traces(
            verified_traces,
            seed_set["instruction"].tolist(),
            exp.filters,
            exp.name,
            round_,
            context.run.run_id,
            training_texts(human_seeds),
        )
        counts = funnel_counts(df)
        return dg.Output(
            df,
            metadata={
                **table_metadata(df),
                "kept": dg.MetadataValue.int(counts["kept"]),
                "funnel": dg.MetadataValue.md(counts_table(counts, "step", "rows")),
            },
        )

    @dg.asset(**common, kinds={"duckdb", "pandas"}, metadata=_meta(schemas.FINAL_MIX))
    def final_mix(
        context: dg.AssetExecutionContext,
        pipeline_config: PipelineConfig,
        warehouse: DuckDBResource,
        human_seeds: pd.DataFrame,
        filtered_set: pd.DataFrame,
    ) -> dg.Output:
        """The round's training rows: human and synthetic mixed by the experiment's regime."""
        exp, round_ = resolve(context, pipeline_config.experiments())
        previous = None
        if exp.regime == "accumulate" and round_ > 0:
            with warehouse.get_connection() as conn:
                previous, _ = require_previous_final_mix(conn, context.instance, exp.name, round_)
        df, mix_plan = compose_mix(exp, round_, human_seeds, filtered_set, previous, context.run.run_id)
        human_fraction = float((df["origin"] == "human").mean()) if len(df) else 0.0
        if mix_plan.shortfall > 0:
            context.log.warning(
                f"only {mix_plan.synthetic} synthetic rows passed the filters; "
                f"the regime asked for {exp.sizes.mix_size}"
            )
        return dg.Output(
            df,
            metadata={
                **table_metadata(df),
                "regime": dg.MetadataValue.text(exp.regime),
                "human_fraction": dg.MetadataValue.float(round(human_fraction, 4)),
                "plan": _stats_md(mix_plan),
                "sample_synthetic": dg.MetadataValue.md(
                    markdown_table(df[df["origin"] == "synthetic"], ["id", "instruction", "response"], 5)
                ),
            },
        )

    return [seed_set, generated_instructions, cot_traces, verified_traces, filtered_set, final_mix]
