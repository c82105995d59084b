"""Run experiments round by round through the real Dagster jobs, recording runs on an instance
so they show up in the UI afterwards (same DAGSTER_HOME)."""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg
import pandas as pd

from synth_assets.config.experiments import Experiment, ExperimentsFile
from synth_assets.config.settings import Settings
from synth_assets.orchestration.jobs import HUMAN_DATA_JOB, REPORT_JOB, ROUND_JOB
from synth_assets.storage.previous_round import latest_materialization, partition_key
from synth_assets.storage.sql_files import create_statement, sql
from synth_assets.storage.warehouse_file import open_configured


@dataclass(frozen=True)
class RoundOutcome:
    experiment: str
    round: int
    status: str  # "succeeded" | "failed" | "skipped" | "resumed"
    run_id: str | None
    seconds: float
    error: str | None = None


def plan_rounds(
    experiments: ExperimentsFile, names: list[str] | None, rounds: int | None
) -> list[tuple[Experiment, int]]:
    """Round-major order, so every experiment reaches round r before any starts r+1."""
    chosen = experiments.select(names)
    top = max(e.rounds for e in chosen) if rounds is None else rounds
    return [(e, r) for r in range(top) for e in chosen if r < e.rounds]


class RunInterrupted(Exception):
    """A round stopped by SIGINT or SIGTERM; later rounds and the reports are not started."""

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.signum = signum


def _interruption(result: dg.ExecuteInProcessResult) -> RunInterrupted | None:
    """Dagster reports an interrupted step as a failure whose source is INTERRUPT; our generation
    stages say there what they kept and what is left."""
    for event in result.all_events:
        data = event.step_failure_data if event.is_step_failure else None
        source = getattr(getattr(data, "error_source", None), "value", None)
        if data is not None and source == "INTERRUPT":
            message = (data.error.message if data.error else "interrupted").strip().splitlines()[0]
            message = message.removeprefix("synth_assets.llm.interrupts.GenerationInterrupted: ")
            signum = signal.SIGTERM if "SIGTERM" in message else signal.SIGINT
            return RunInterrupted(f"{event.step_key}: {message}", signum)
    return None


def _execute(
    job: dg.JobDefinition, run_config: dict, instance: dg.DagsterInstance, partition_key: str | None = None
) -> dg.ExecuteInProcessResult:
    result = job.execute_in_process(
        run_config=run_config, partition_key=partition_key, instance=instance, raise_on_error=False
    )
    if not result.success and (interrupted := _interruption(result)):
        raise interrupted
    return result


def _first_error(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data and event.step_failure_data.error:
            return f"{event.step_key}: {event.step_failure_data.error.message.strip()}"
    return "run failed"


def run_experiments(
    defs: dg.Definitions,
    experiments: ExperimentsFile,
    instance: dg.DagsterInstance,
    names: list[str] | None = None,
    rounds: int | None = None,
    resume: bool = False,
    on_round: Callable[[RoundOutcome], None] | None = None,
    log_level: str = "INFO",
) -> list[RoundOutcome]:
    """A failed round stops its experiment's later rounds (they would read a missing mix) but
    not the other experiments; an interrupted round stops everything (`RunInterrupted`)."""
    run_config = {"loggers": {"console": {"config": {"log_level": log_level.upper()}}}}
    # Dagster's SQLite event log stamps a schema for every run: alembic's INFO lines are noise here.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    human = _execute(defs.resolve_job_def(HUMAN_DATA_JOB), run_config, instance)
    if not human.success:
        raise RuntimeError(f"human data failed to load: {_first_error(human)}")
    job = defs.resolve_job_def(ROUND_JOB)
    failed: set[str] = set()
    outcomes = []
    for exp, round_ in plan_rounds(experiments, names, rounds):
        key = partition_key(exp.name, round_)
        if exp.name in failed:
            outcome = RoundOutcome(exp.name, round_, "skipped", None, 0.0, "an earlier round failed")
        elif resume and latest_materialization(instance, "final_mix", key).run_id:
            outcome = RoundOutcome(exp.name, round_, "resumed", None, 0.0)
        else:
            start = time.monotonic()
            result = _execute(job, run_config, instance, key)
            outcome = RoundOutcome(
                exp.name,
                round_,
                "succeeded" if result.success else "failed",
                result.run_id,
                time.monotonic() - start,
                None if result.success else _first_error(result),
            )
            if not result.success:
                failed.add(exp.name)
        outcomes.append(outcome)
        if on_round:
            on_round(outcome)
    if any(o.status == "succeeded" for o in outcomes):
        report = _execute(defs.resolve_job_def(REPORT_JOB), run_config, instance)
        if not report.success:
            raise RuntimeError(f"reports failed: {_first_error(report)}")
    return outcomes


SUMMARY_COLUMNS = [
    "experiment",
    "round",
    "train_rows",
    "heldout_perplexity",
    "tail_coverage",
    "distinct_2",
    "self_similarity",
]


def collapse_summary(settings: Settings) -> pd.DataFrame:
    """The headline metrics per partition; the neural student's perplexity where one was trained."""
    df = _collapse_metrics(settings)
    neural = "neural_heldout_perplexity" in df.columns and df["neural_heldout_perplexity"].notna().any()
    shown = SUMMARY_COLUMNS[:4] + (["neural_heldout_perplexity"] if neural else []) + SUMMARY_COLUMNS[4:]
    return df.sort_values(["experiment", "round"])[shown].round(3)


def collapse_findings(settings: Settings) -> tuple[list[str], pd.DataFrame]:
    """What the collapse report states about the last round (which regime differences hold) and
    its table of both students."""
    from synth_assets.collapse.report import findings, student_table

    df = _collapse_metrics(settings)
    return findings(df)[1], student_table(df)


def _collapse_metrics(settings: Settings) -> pd.DataFrame:
    with open_configured(settings) as conn:
        return conn.execute("select * from main.collapse_metrics").fetchdf()


def round_summary(settings: Settings) -> pd.DataFrame:
    """Live from the stage tables (the `verification_rollup` view made first, as the audit makes
    `lineage_nodes`, so a warehouse whose SQL models never ran still answers)."""
    from synth_assets.storage.warehouse_models import verification_rollup_model

    with open_configured(settings) as conn:
        conn.execute(create_statement(verification_rollup_model()))
        return conn.execute(sql("round_summary")).fetchdf()
