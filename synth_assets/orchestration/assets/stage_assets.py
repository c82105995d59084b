"""The pipeline's assets, derived from the stage declarations (`stages.registry.PIPELINE`).

One factory for every stage: it resolves the partition, hands the stage its parents, the
previous round and the models, and turns what the stage reports into UI metadata. The stages
themselves know nothing of Dagster.
"""

from collections.abc import Callable, Mapping
from typing import Any

import dagster as dg
import pandas as pd

from synth_assets.config.experiments import Experiment, ExperimentsFile
from synth_assets.embed.session import EmbeddingSession
from synth_assets.llm.backends import BACKENDS
from synth_assets.llm.session import GenerationSession
from synth_assets.orchestration.assets.metadata import (
    OWNERS,
    budget_failure,
    counts_table,
    embedding_metadata,
    llm_metadata,
    markdown_table,
    progress_logger,
    table_metadata,
)
from synth_assets.orchestration.assets.partitions import PARTITION_EXPR
from synth_assets.orchestration.resources.generator import GeneratorResource
from synth_assets.stages import registry
from synth_assets.stages.row_frames import RowScope
from synth_assets.stages.spec import Markdown, Preview, StageRun, StageSpec
from synth_assets.storage.previous_round import require_previous

GROUP = "pipeline"
# Steps that run a model share this Dagster pool: `synth init` limits it (one local llama.cpp
# step at a time: two fight over the cores and slow each other ~15x).
GENERATION_POOL = "llm_generation"


def build_pipeline_assets(
    partitions: dg.PartitionsDefinition, experiments: ExperimentsFile
) -> list[dg.AssetsDefinition]:
    """The backends the experiments use become the generating assets' kinds in the UI."""
    model_kinds = {BACKENDS[e.generator.backend].kind_tag for e in experiments.experiments}
    return [_stage_asset(spec, partitions, model_kinds, experiments.experiments) for spec in registry.pipeline()]


def _stage_asset(
    spec: StageSpec, partitions: dg.PartitionsDefinition, model_kinds: set[str], experiments: list[Experiment]
) -> dg.AssetsDefinition:
    @dg.asset(
        name=spec.name,
        description=spec.description,
        ins={name: dg.AssetIn(name) for name in spec.inputs},
        partitions_def=partitions,
        group_name=GROUP,
        code_version=spec.code_version(experiments),
        owners=OWNERS,
        kinds={"duckdb", *(model_kinds if spec.generates else {"pandas"})},
        pool=GENERATION_POOL if spec.generates else None,
        metadata={"partition_expr": PARTITION_EXPR, "dagster/column_schema": spec.schema},
        required_resource_keys={"pipeline_config", "warehouse", *({"generator"} if spec.needs_models else ())},
    )
    def _asset(context: dg.AssetExecutionContext, **inputs: pd.DataFrame) -> dg.Output:
        return run_stage(spec, context, inputs)

    return _asset


def run_stage(spec: StageSpec, context: dg.AssetExecutionContext, inputs: Mapping[str, pd.DataFrame]) -> dg.Output:
    exp, round_ = context.resources.pipeline_config.partition(context)
    previous = _PreviousRounds(context, exp.name, round_)
    models = (
        _Models(context.resources.generator, exp, round_, context.log.info, lambda what: progress_logger(context, what))
        if spec.needs_models
        else None
    )
    run = StageRun(
        exp,
        RowScope(spec.name, exp.name, round_, context.run.run_id),
        inputs,
        context.log,
        previous.read,
        models,
        lambda what: progress_logger(context, what),
    )
    with budget_failure(lambda: models.metadata() if models else {}):
        result = spec.compute(run)
    metadata = {
        **table_metadata(result.rows),
        **{key: as_metadata(value) for key, value in result.metadata.items()},
        **previous.metadata(),
        **(models.metadata() if models else {}),
        "config_hash": dg.MetadataValue.text(spec.config_hash(exp)),
    }
    return dg.Output(result.rows, metadata=metadata)


def as_metadata(value: Any) -> dg.MetadataValue:
    """A stage's plain report value as what the UI shows best."""
    if isinstance(value, bool):
        return dg.MetadataValue.bool(value)
    if isinstance(value, int):
        return dg.MetadataValue.int(value)
    if isinstance(value, float):
        return dg.MetadataValue.float(value)
    if isinstance(value, str):
        return dg.MetadataValue.text(value)
    if isinstance(value, Markdown):
        return dg.MetadataValue.md(value.text)
    if isinstance(value, Preview):
        return dg.MetadataValue.md(
            markdown_table(value.rows, list(value.columns) if value.columns else None, value.limit)
        )
    if isinstance(value, Mapping):
        return dg.MetadataValue.md(counts_table(value, "statistic", "value"))
    raise TypeError(f"a stage reported metadata of type {type(value).__name__}; see stages.spec.MetadataValue")


class _PreviousRounds:
    """The previous round, read through storage (the edge Dagster cannot declare), with the
    upstream materialization it came from recorded on this one."""

    def __init__(self, context: dg.AssetExecutionContext, experiment: str, round_: int) -> None:
        self._context, self._experiment, self._round = context, experiment, round_
        self._refs: dict[str, Any] = {}

    def read(self, stage: str) -> pd.DataFrame:
        warehouse = self._context.resources.warehouse
        with warehouse.get_connection() as conn:
            df, ref = require_previous(conn, self._context.instance, stage, self._experiment, self._round)
        self._refs[stage] = ref
        return df

    def metadata(self) -> dict[str, dg.MetadataValue]:
        out: dict[str, dg.MetadataValue] = {}
        for stage, ref in self._refs.items():
            out["upstream"] = dg.MetadataValue.text(f"{stage}[{ref.partition}]")
            out["upstream_run_id"] = dg.MetadataValue.text(ref.run_id or "unknown")
            out["upstream_data_version"] = dg.MetadataValue.text(ref.data_version or "unknown")
        return out


class _Models:
    """The sessions a stage opened, so their calls, cache hits, tokens and cost are reported
    (the judge's with a `judge_` prefix, the embedder's as `embedder` and `embedding_*`)."""

    def __init__(
        self, generator: GeneratorResource, exp: Experiment, round_: int, log: Any, progress: Callable[[str], Any]
    ) -> None:
        self._generator, self._exp, self._round, self._log = generator, exp, round_, log
        self._progress = progress
        self._opened: list[tuple[str, GenerationSession]] = []
        self._embedders: list[EmbeddingSession] = []

    def embedder(self) -> EmbeddingSession:
        session = self._generator.embedder_for(self._exp, self._log, self._progress("embedding"))
        self._embedders.append(session)
        return session

    def for_round(self, pool: pd.DataFrame) -> GenerationSession:
        session = self._generator.for_round(self._exp, self._round, pool, self._log)
        self._opened.append(("", session))
        return session

    def for_role(self, role: str) -> GenerationSession:
        session = self._generator.for_role(self._exp, role, self._log)
        self._opened.append(("" if role == "generator" else f"{role}_", session))
        return session

    def metadata(self) -> dict[str, dg.MetadataValue]:
        out = {f"{prefix}{k}": v for prefix, session in self._opened for k, v in llm_metadata(session).items()}
        for session in self._embedders:
            out.update(embedding_metadata(session))
        return out
