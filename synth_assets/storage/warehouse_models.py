"""Every SQL model of the warehouse: the files in `dbt_like_sql/` and those generated from the
registries (`lineage_nodes` from the stage declarations, `funnel_rollup` from the funnel's
steps, `verification_rollup` from the verdicts and the verifiers that count in the verified
rate), so a new stage, filter step or verifier needs no SQL edit."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import dagster as dg

from synth_assets.core.rows import CONTRACT_COLUMNS
from synth_assets.filters import funnel
from synth_assets.stages import registry, schemas
from synth_assets.storage.sql_files import SQL_DIR, SqlModel, load_models
from synth_assets.verify import verdicts

# Tables outside the pipeline whose rows are lineage roots.
ROOTS: tuple[tuple[str, dg.TableSchema], ...] = (
    ("human_seeds", schemas.HUMAN_SEEDS),
    ("personas", schemas.PERSONAS),
    ("curriculum", schemas.CURRICULUM),
    ("constitution", schemas.CONSTITUTION),
    ("code_snippets", schemas.CODE_SNIPPETS),
)
_NODE_COLUMNS = ("instruction", "response", "verdict", "verifier", "drop_reason")


def _generated(
    name: str, sql: str, deps: tuple[str, ...], description: str, source: ModuleType, view: bool = False
) -> SqlModel:
    """A model whose SQL a registry writes; `source` is the module it is generated from."""
    return SqlModel(name, sql, deps, "view" if view else "table", description, Path(str(source.__file__)))


def _node_select(stage: str, schema: dg.TableSchema) -> str:
    have = set(schemas.column_names(schema))
    fields = ", ".join(c if c in have else f"null::VARCHAR as {c}" for c in _NODE_COLUMNS)
    return f"select '{stage}' as stage, {', '.join(CONTRACT_COLUMNS)}, {fields}\nfrom main.{stage}"


def lineage_nodes_model() -> SqlModel:
    """Every row of every stage in one shape: the node table provenance audits walk. Ids are
    unique across stages (the stage is part of the hash), so parent_ids resolve here."""
    tables = [*ROOTS, *((s.name, s.schema) for s in registry.pipeline())]
    sql = "\nunion all\n".join(_node_select(name, schema) for name, schema in tables) + "\n"
    return SqlModel(
        name="lineage_nodes",
        sql=sql,
        deps=tuple(sorted(name for name, _ in tables)),
        materialized="view",
        description="Every row of every stage in one shape: the node table provenance audits walk "
        "(generated from the stage declarations).",
        path=Path(__file__),
    )


def funnel_rollup_model() -> SqlModel:
    description = "The filter funnel per experiment and round: rows entering, dropped per step, kept "
    return _generated(
        "funnel_rollup",
        funnel.rollup_sql(),
        ("filtered_set",),
        description + "(generated from the funnel's steps).",
        funnel,
    )


def verification_rollup_model() -> SqlModel:
    """A view: `round_summary` and `synth run` read it live."""
    description = "Verdicts per experiment and round and the verified rate: passed over traces a ground-truth "
    description += "verifier checked (generated from verify/verdicts.py)."
    return _generated(
        "verification_rollup", verdicts.rollup_sql(), ("verified_traces",), description, verdicts, view=True
    )


def all_models(folder: Path = SQL_DIR) -> list[SqlModel]:
    generated = [lineage_nodes_model(), funnel_rollup_model(), verification_rollup_model()]
    files = load_models(folder)
    clash = {m.name for m in files} & {m.name for m in generated}
    if clash:
        raise ValueError(f"{folder}: {sorted(clash)} would replace a generated model; rename the file")
    return sorted([*files, *generated], key=lambda m: m.name)
