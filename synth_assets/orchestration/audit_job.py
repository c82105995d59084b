"""A provenance audit started from the Dagster UI: the `audit_job` takes a row id in its run
config (Launchpad) and shows the row's ancestry, verdicts and generators as the step's
metadata, so nobody needs a shell to answer "where did this training row come from"."""

import dagster as dg
from pydantic import Field

from synth_assets.provenance.audit import UnknownRowError, ancestry, ancestry_markdown, reaches_human_seed
from synth_assets.storage.warehouse import WarehouseResource

AUDIT_JOB = "audit_job"


class AuditConfig(dg.Config):
    row_id: str = Field(description="id of any row in any stage table, e.g. a training row's id from dpo.jsonl")


@dg.op(description="The ancestry of one row across stages and rounds, back to the human seed rows.")
def audit_row(context: dg.OpExecutionContext, config: AuditConfig, warehouse: WarehouseResource) -> dg.Output[None]:
    try:
        with warehouse.get_connection() as conn:
            df = ancestry(conn, config.row_id)
    except UnknownRowError as exc:
        raise dg.Failure(description=str(exc)) from None
    unbroken = reaches_human_seed(df)
    context.log.info(f"{config.row_id}: {len(df)} ancestors, {'an unbroken' if unbroken else 'a BROKEN'} chain")
    return dg.Output(
        None,
        metadata={
            "row_id": config.row_id,
            "ancestry": dg.MetadataValue.md(ancestry_markdown(df)),
            "ancestors": len(df),
            "stages": ", ".join(dict.fromkeys(s for s in df["stage"] if isinstance(s, str))),
            "human_seed_rows": int((df["stage"] == "human_seeds").sum()),
            "unbroken_chain": unbroken,
        },
    )


@dg.job(name=AUDIT_JOB, description="Audit one row's provenance: launch with its id in the run config.")
def audit_job() -> None:
    audit_row()
