"""The human data every experiment starts from, and the held-out set no pool ever sees."""

import dagster as dg
import pandas as pd

from synth_assets.core.rows import content_hash
from synth_assets.orchestration.assets.metadata import (
    DATA_VERSION_TAG,
    OWNERS,
    counts_table,
    source_version,
    table_metadata,
)
from synth_assets.orchestration.resources.pipeline_config import PipelineConfig
from synth_assets.seeds.code_snippets import python_version
from synth_assets.seeds.fingerprint import fingerprint
from synth_assets.seeds.human_pool import (
    code_snippet_rows,
    constitution_rows,
    curriculum_rows,
    human_rows,
    persona_rows,
)
from synth_assets.stages import schemas

# The loaders' code; the files' content is the data version (see `_result`).
LOADER_VERSION = source_version(
    "synth_assets.seeds.human_pool",
    "synth_assets.seeds.loaders",
    "synth_assets.seeds.humaneval",
    "synth_assets.seeds.code_snippets",
)

HUMANEVAL_SEEDS = 20  # code tasks in the pool; each costs a sandboxed test run per trace

GROUP = "human_data"


def _task_keys(df: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(df["instruction"], df["input"], strict=True))


def _result(df: pd.DataFrame, pipeline_config: PipelineConfig) -> dg.Output:
    by_type = df.groupby(["family", "task_type"]).size().to_dict()
    types = counts_table({f"{f}/{t}": n for (f, t), n in by_type.items()}, "type")
    return _versioned(df, _files_version(pipeline_config), by_task_type=dg.MetadataValue.md(types))


def _files_version(pipeline_config: PipelineConfig) -> str:
    """The human files' content (seeds, held-out, personas, curriculum, constitution): their data version."""
    return fingerprint(pipeline_config.seeds_dir, pipeline_config.heldout_dir)


def _versioned(rows: pd.DataFrame, version: str, **metadata: dg.MetadataValue) -> dg.Output:
    return dg.Output(rows, tags={DATA_VERSION_TAG: version}, metadata={**table_metadata(rows), **metadata})


def _human_asset(schema: dg.TableSchema):
    """The human data's assets differ only in their tables' schema."""
    return dg.asset(
        group_name=GROUP,
        owners=OWNERS,
        kinds={"duckdb", "pandas"},
        metadata={"dagster/column_schema": schema},
        code_version=LOADER_VERSION,
    )


@_human_asset(schemas.HUMAN_SEEDS)
def human_seeds(context: dg.AssetExecutionContext, pipeline_config: PipelineConfig) -> dg.Output:
    """Project-authored instruction tasks (9 task types, with reference responses), grade-school
    math problems (worked solution and numeric answer) and the first HumanEval problems (reference
    solution, unit tests): the round-0 pool of every experiment."""
    rows = human_rows(pipeline_config.seeds_dir, context.run.run_id, "human_seeds", HUMANEVAL_SEEDS)
    return _result(rows, pipeline_config)


@_human_asset(schemas.HELDOUT_HUMAN)
def heldout_human(context: dg.AssetExecutionContext, pipeline_config: PipelineConfig) -> dg.Output:
    """Human rows kept out of every seed pool and mix, for measuring what training does to models."""
    held = human_rows(pipeline_config.heldout_dir, context.run.run_id, "heldout_human")
    seeds = human_rows(pipeline_config.seeds_dir, context.run.run_id, "human_seeds")
    overlap = _task_keys(held) & _task_keys(seeds)
    if overlap:
        raise dg.Failure(f"{len(overlap)} held-out task(s) also appear in the seeds, e.g. {sorted(overlap)[0]!r}")
    return _result(held, pipeline_config)


@_human_asset(schemas.PERSONAS)
def personas(context: dg.AssetExecutionContext, pipeline_config: PipelineConfig) -> dg.Output:
    """Who the `persona` recipe writes tasks as (Persona Hub's idea, Ge et al. 2024; authored for
    this project by scripts/author_personas.py): a versioned input, like the seeds, and a lineage
    root of every task written as one of them."""
    return _versioned(persona_rows(pipeline_config.seeds_dir, context.run.run_id), _files_version(pipeline_config))


@_human_asset(schemas.CURRICULUM)
def curriculum(context: dg.AssetExecutionContext, pipeline_config: PipelineConfig) -> dg.Output:
    """The `curriculum` recipe's ladder (data/seeds/curriculum.yaml): every topic of every subject
    at every level, each row the lineage root of the lessons and exercises written for it."""
    rows = curriculum_rows(pipeline_config.seeds_dir, context.run.run_id)
    return _versioned(rows, _files_version(pipeline_config))


@_human_asset(schemas.CONSTITUTION)
def constitution(context: dg.AssetExecutionContext, pipeline_config: PipelineConfig) -> dg.Output:
    """The principles (data/seeds/constitution.jsonl) that the `ai_preferences` stage critiques,
    revises and compares responses against (Constitutional AI, Bai et al. 2022): a versioned
    input, and the lineage root of every preference pair made under one of them."""
    return _versioned(constitution_rows(pipeline_config.seeds_dir, context.run.run_id), _files_version(pipeline_config))


@_human_asset(schemas.CODE_SNIPPETS)
def code_snippets(context: dg.AssetExecutionContext) -> dg.Output:
    """Functions of the Python standard library of the interpreter that runs the pipeline (human
    code on every machine, no download), with file and line: what the `code_grounded` recipe asks
    about, and the lineage root of those questions. Versioned by the interpreter and the source."""
    rows = code_snippet_rows(context.run.run_id)
    return _versioned(rows, content_hash(python_version(), sorted(rows["id"]), length=16))
