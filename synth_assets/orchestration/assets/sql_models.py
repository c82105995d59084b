"""One asset per SQL model (the files in `dbt_like_sql/` and the generated ones), with lineage
derived from the SQL itself."""

from pathlib import Path

import dagster as dg

from synth_assets.core.rows import content_hash
from synth_assets.orchestration.assets.metadata import OWNERS, markdown_table
from synth_assets.storage.sql_files import SQL_DIR, SqlModel, create_statement
from synth_assets.storage.warehouse import WarehouseResource
from synth_assets.storage.warehouse_models import all_models

GROUP = "sql_models"
PREVIEW = 10


def _build(model: SqlModel) -> dg.AssetsDefinition:
    @dg.asset(
        name=model.name,
        group_name=GROUP,
        owners=OWNERS,
        deps=[dg.AssetKey(d) for d in model.deps],
        kinds={"duckdb", "sql"},
        description=model.description or f"SQL model {model.path.name}",
        metadata={"defined_in": dg.MetadataValue.path(str(model.path)), "materialized": model.materialized},
        code_version=content_hash(model.sql, length=12),
    )
    def _model(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.get_connection() as conn:
            conn.execute(create_statement(model))
            rows = conn.execute(f"select count(*) from main.{model.name}").fetchone()[0]
            head = conn.execute(f"select * from main.{model.name} limit {PREVIEW}").fetchdf()
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": dg.MetadataValue.int(int(rows)),
                "preview": dg.MetadataValue.md(markdown_table(head, limit=PREVIEW)),
                "sql": dg.MetadataValue.md(f"```sql\n{model.sql}\n```"),
            }
        )

    return _model


def build_sql_assets(folder: Path = SQL_DIR) -> list[dg.AssetsDefinition]:
    return [_build(m) for m in all_models(folder)]
