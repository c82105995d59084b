"""Students per round, collapse metrics per round, and the report across all rounds."""

from dataclasses import asdict
from pathlib import Path

import dagster as dg
import pandas as pd

from synth_assets.collapse import metrics
from synth_assets.collapse.measure import RoundTexts, measure_round
from synth_assets.collapse.report import embedded_image, render
from synth_assets.collapse.students import train_students
from synth_assets.core.neural_lm import NeuralLM
from synth_assets.core.ngram_lm import build_vocab
from synth_assets.core.rows import content_hash
from synth_assets.core.texts import training_texts
from synth_assets.orchestration.assets.metadata import (
    DATA_VERSION_TAG,
    OWNERS,
    budget_failure,
    embedding_metadata,
    markdown_table,
    progress_logger,
    round_asset_args,
    source_version,
)
from synth_assets.orchestration.assets.partitions import PARTITION_EXPR
from synth_assets.orchestration.resources.generator import GeneratorResource
from synth_assets.orchestration.resources.pipeline_config import PipelineConfig
from synth_assets.stages import schemas
from synth_assets.stages.verified_traces import verification_stats
from synth_assets.storage.artifacts import StudentArtifact
from synth_assets.storage.warehouse import WarehouseResource

GROUP = "collapse"


def build_collapse_assets(partitions: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    return [_student_asset(partitions), _metrics_asset(partitions)]


def _student_asset(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    common = round_asset_args(
        partitions,
        GROUP,
        __name__,
        "synth_assets.core.ngram_lm",
        "synth_assets.core.neural_lm",
        "synth_assets.collapse.students",
    )

    @dg.asset(**common, io_manager_key="artifact_io_manager", kinds={"python", "json"})
    def student_model(
        context: dg.AssetExecutionContext,
        pipeline_config: PipelineConfig,
        final_mix: pd.DataFrame,
        human_seeds: pd.DataFrame,
        heldout_human: pd.DataFrame,
    ) -> dg.Output:
        """A Kneser-Ney trigram student trained on this round's final_mix, over a vocabulary fixed by
        the human data so perplexities compare across rounds, and where the experiment asks for it
        a neural student (a small transformer) trained from scratch on the same rows. Saved as a
        versioned artifact with the lineage of its training data."""
        exp, round_ = pipeline_config.partition(context)
        texts = training_texts(final_mix)
        vocab = build_vocab(training_texts(human_seeds) + training_texts(heldout_human))
        weights = final_mix["weight"].fillna(1.0).tolist() if "weight" in final_mix.columns else None
        neural_config = exp.student.neural_config() if exp.trains_neural else None
        model, neural = train_students(vocab, texts, weights, neural_config, exp.seed + round_, context.log.info)
        lineage = {
            "experiment": exp.name,
            "round": round_,
            "trained_on": "final_mix",
            "rows": len(final_mix),
            "row_ids_hash": content_hash(sorted(final_mix["id"])),
            "final_mix_run_ids": sorted(set(final_mix["run_id"])),
            "run_id": context.run.run_id,
        }
        return dg.Output(
            StudentArtifact(model, lineage, neural),
            tags={DATA_VERSION_TAG: content_hash(model.to_json(), neural and neural.digest())},
            metadata={
                "train_rows": len(texts),
                "trigram_types": len(model.trigrams),
                "vocabulary": len(model.vocab),
                "lineage": dg.MetadataValue.json(lineage),
                **(_neural_metadata(neural) if neural else {}),
            },
        )

    return student_model


def _neural_metadata(neural: NeuralLM) -> dict[str, dg.MetadataValue]:
    h = neural.history
    return {
        "neural_parameters": dg.MetadataValue.int(neural.parameters),
        "neural_steps": dg.MetadataValue.int(h["steps"]),
        "neural_validation_loss": dg.MetadataValue.float(h["best_validation_loss"]),
        "neural_train_seconds": dg.MetadataValue.float(h["seconds"]),
        "neural_tokens_per_s": dg.MetadataValue.int(h["tokens_per_s"]),
        "neural_config": dg.MetadataValue.json(asdict(neural.config)),
    }


def _metrics_asset(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    common = round_asset_args(
        partitions, GROUP, __name__, "synth_assets.collapse.measure", "synth_assets.collapse.metrics"
    )

    @dg.asset(
        **common,
        kinds={"duckdb", "pandas"},
        metadata={"partition_expr": PARTITION_EXPR, "dagster/column_schema": schemas.COLLAPSE_METRICS},
    )
    def collapse_metrics(
        context: dg.AssetExecutionContext,
        pipeline_config: PipelineConfig,
        generator: GeneratorResource,
        student_model: StudentArtifact,
        final_mix: pd.DataFrame,
        verified_traces: pd.DataFrame,
        human_seeds: pd.DataFrame,
        heldout_human: pd.DataFrame,
    ) -> dg.Output:
        """Held-out human perplexity of the student, diversity and tail coverage of the mix, its
        divergence from human text, verified pass rate and human fraction (see schema for each)."""
        exp, round_ = pipeline_config.partition(context)
        human = training_texts(human_seeds)
        train = training_texts(final_mix)
        synthetic = training_texts(final_mix[final_mix["origin"] == "synthetic"])
        with generator.embedder_for(exp, context.log.info, progress_logger(context, "embedding")) as embedder:
            texts = RoundTexts(
                student_model.model,
                train,
                training_texts(heldout_human),
                human,
                metrics.rare_tokens(human),
                synthetic=synthetic,
                embedder=embedder,
                neural=student_model.neural,
            )
            with budget_failure(lambda: embedding_metadata(embedder)):
                values = measure_round(texts)
        row = {
            "experiment": exp.name,
            "round": round_,
            "experiment_group": exp.group,
            "replicate": exp.replicate,
            "regime": exp.regime,
            "run_id": context.run.run_id,
            "student": student_model.lineage.get("row_ids_hash"),
            "train_rows": len(train),
            "embedder": embedder.label,
            **values,
            "verified_rate": float(verification_stats(verified_traces)["verified_rate"]),
            "human_fraction": float((final_mix["origin"] == "human").mean()) if len(final_mix) else 0.0,
        }
        df = pd.DataFrame([row])
        return dg.Output(
            df,
            metadata={
                **embedding_metadata(embedder),
                "heldout_perplexity": dg.MetadataValue.float(round(values["heldout_perplexity"], 3)),
                "tail_coverage": dg.MetadataValue.float(round(values["tail_coverage"], 4)),
                **(
                    {"neural_heldout_perplexity": dg.MetadataValue.float(round(values["neural_heldout_perplexity"], 3))}
                    if student_model.neural is not None
                    else {}
                ),
                "metrics": dg.MetadataValue.md(
                    markdown_table(
                        df.round(4).T.reset_index().rename(columns={"index": "metric", 0: "value"}), limit=30
                    )
                ),
            },
        )

    return collapse_metrics


@dg.asset(
    group_name=GROUP,
    deps=["collapse_metrics"],
    kinds={"matplotlib", "html"},
    owners=OWNERS,
    code_version=source_version("synth_assets.collapse.report"),
)
def collapse_report(pipeline_config: PipelineConfig, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Curves of every collapse metric against round, one line per experiment: PNG files, an HTML
    page and a markdown table, over all materialized partitions."""
    with warehouse.get_connection() as conn:
        df = conn.execute("select * from main.collapse_metrics order by experiment, round").fetchdf()
    if df.empty:
        raise dg.Failure("collapse_metrics has no partitions yet: materialize student_model and collapse_metrics first")
    files = render(df, Path(pipeline_config.data_dir) / "reports" / "collapse")
    return dg.MaterializeResult(
        metadata={
            "report": dg.MetadataValue.path(str(files.html)),
            "grid": dg.MetadataValue.md(embedded_image(files.grid)),
            "values": dg.MetadataValue.md(files.markdown),
            "partitions": dg.MetadataValue.int(len(df)),
        }
    )
