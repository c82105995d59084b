"""`synth`: run experiments, print the per-round table, validate inputs."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Annotated, NoReturn

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from synth_assets.config import preflight
from synth_assets.config.experiments import ConfigError, ExperimentsFile, load_experiments
from synth_assets.config.instance import create_storage, ensure_instance_config
from synth_assets.config.settings import Settings, SettingsError
from synth_assets.seeds.loaders import (
    SeedFileError,
    load_constitution,
    load_curriculum,
    load_instruction_tasks,
    load_math_problems,
    load_personas,
)
from synth_assets.storage.warehouse_file import WarehouseError, held_open, open_configured

app = typer.Typer(
    help="synth-assets: synthetic training data, round by round, on Dagster.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(width=None if sys.stdout.isatty() else 160)


def _prepare_instance(settings: Settings) -> None:
    """Only commands that run something write the Dagster home; checks and reads leave no trace."""
    os.environ.setdefault("DAGSTER_HOME", str(settings.dagster_home))
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    if home == settings.dagster_home:  # the project's own instance, never one the user pointed us at
        ensure_instance_config(home, shared=settings.shared)


def _where(settings: Settings) -> str:
    if settings.shared:
        return f"DuckLake, data under {settings.lake_path}, catalog at $SYNTH_POSTGRES_URL"
    return f"DuckDB file {settings.warehouse}"


def _settings(reads_inputs: bool = True) -> Settings:
    """The environment's settings, checked (paths, the shared profile's PostgreSQL) before any
    command does anything."""
    try:
        settings = Settings.from_env()
        preflight.check_paths(settings, reads_inputs)
        preflight.check_postgres(settings)
    except (SettingsError, preflight.PreflightError) as exc:
        _fail(str(exc))
    return settings


def _input_problems(settings: Settings) -> tuple[ExperimentsFile | None, list[str], list[str]]:
    """The experiments file and every human data file, validated: (experiments, ok lines, problems)."""
    experiments, ok, problems = None, [], []
    try:
        experiments = load_experiments(settings.experiments_file)
        ok.append(
            f"{settings.experiments_file}: {len(experiments.experiments)} experiment(s): {', '.join(experiments.names)}"
        )
    except ConfigError as exc:
        problems.append(str(exc))
    loaders = {
        settings.seeds_dir: (
            load_instruction_tasks,
            load_math_problems,
            load_personas,
            load_curriculum,
            load_constitution,
        ),
        settings.heldout_dir: (load_instruction_tasks, load_math_problems),
    }
    for folder, folder_loaders in loaders.items():
        for loader in folder_loaders:
            try:
                ok.append(f"{folder}: {len(loader(folder))} rows ok ({loader.__name__.removeprefix('load_')})")
            except SeedFileError as exc:
                problems.extend(str(exc).splitlines())
    return experiments, ok, problems


def _say(label: str, style: str, message: str) -> None:
    """One line, whatever its length, with the message printed literally: user values (names,
    paths, model labels such as `openai:m`) are never read as markup or emoji codes."""
    console.print(Text.assemble((label, style), " ", message), soft_wrap=True)


def _fail(message: str) -> NoReturn:
    _say("error:", "bold red", message)
    raise typer.Exit(2)


def _print_frame(df: pd.DataFrame, title: str) -> None:
    table = Table(title=title)
    for col in df.columns:
        table.add_column(str(col), justify="right" if df[col].dtype.kind in "if" else "left")
    for row in df.itertuples(index=False):
        table.add_row(*["" if pd.isna(v) else str(v) for v in row])
    console.print(table)


@app.command()
def run(
    experiment: Annotated[list[str] | None, typer.Option("--experiment", "-e", help="only these experiments")] = None,
    rounds: Annotated[int | None, typer.Option(help="rounds to run (default: each experiment's own)")] = None,
    resume: Annotated[bool, typer.Option(help="skip rounds whose final_mix is already materialized")] = False,
    log_level: Annotated[str, typer.Option(help="Dagster run log level shown here")] = "INFO",
) -> None:
    """Materialize every round of the configured experiments, then print the per-round table."""
    # `kill` behaves like Ctrl-C (Dagster maps SIGTERM the same way while a run executes)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    settings = _settings()
    experiments, _, problems = _input_problems(settings)
    if problems:  # before anything is written
        for problem in problems:
            _say("error:", "bold red", problem)
        raise typer.Exit(2)
    assert experiments is not None  # no problems: the file parsed
    try:
        preflight.check_arguments(experiments, experiment, rounds, log_level)
        chosen = experiments.select(experiment)
        preflight.check_models(chosen, settings.secrets_present)
    except preflight.PreflightError as exc:
        _fail(str(exc))
    _prepare_instance(settings)
    try:
        import dagster as dg

        from synth_assets.orchestration.definitions import build_definitions
        from synth_assets.orchestration.runner import (
            RunInterrupted,
            collapse_findings,
            collapse_summary,
            round_summary,
            run_experiments,
        )

        defs = build_definitions(settings)
    except (ConfigError, SeedFileError, KeyError) as exc:
        _fail(str(exc))
    instance = dg.DagsterInstance.get()
    start = time.monotonic()

    def show(o) -> None:
        colour = {"succeeded": "green", "failed": "red"}.get(o.status, "yellow")
        console.print(
            f"[{colour}]{o.status:9}[/] {o.experiment} round {o.round}  {o.seconds:6.1f}s"
            + (f"  {o.error}" if o.error else ""),
            highlight=False,
        )

    try:
        with held_open(settings):
            outcomes = run_experiments(defs, experiments, instance, experiment, rounds, resume, show, log_level)
    except RunInterrupted as exc:
        _say("interrupted:", "bold yellow", str(exc))
        raise typer.Exit(128 + exc.signum) from None
    except KeyboardInterrupt:  # between rounds or before the first: nothing half-written
        _say("interrupted:", "bold yellow", "between rounds; `synth run --resume` continues")
        raise typer.Exit(130) from None
    except (RuntimeError, KeyError) as exc:
        _fail(str(exc))
    _print_frame(round_summary(settings), "per-round summary")
    _print_frame(collapse_summary(settings), "collapse metrics (student trained on each round's mix)")
    said, students = collapse_findings(settings)
    for finding in said:
        console.print(f"- {finding}", highlight=False, markup=False, soft_wrap=True)
    if len(students):
        _print_frame(students, "held-out perplexity of both students, first and last round")
    report = settings.data_dir / "reports" / "collapse" / "collapse_report.html"
    console.print(f"collapse report: [bold]{report}[/]", highlight=False)
    console.print(
        f"done in {time.monotonic() - start:.0f}s. Warehouse: [bold]{_where(settings)}[/]; "
        f"Dagster runs recorded in {os.environ['DAGSTER_HOME']} (see them with `make ui`).",
        highlight=False,
    )
    if any(o.status == "failed" for o in outcomes):
        raise typer.Exit(1)


@app.command()
def init() -> None:
    """Write dagster.yaml for this machine into DAGSTER_HOME (run queue, generation pool) unless
    one exists; `make ui` and `make run` call it."""
    settings = _settings(reads_inputs=False)
    home = Path(os.environ.get("DAGSTER_HOME", settings.dagster_home))
    written = ensure_instance_config(home, shared=settings.shared)
    console.print(f"{home / 'dagster.yaml'}: {'written' if written else 'kept (already there)'}", highlight=False)
    if settings.shared:
        _prepare_shared_storage(settings)
    create_storage(home)


def _prepare_shared_storage(settings: Settings) -> None:
    """Creates the lake's catalog tables and the cache's once, before many run workers race to."""
    from synth_assets.llm.cache import ResponseCache

    try:
        with open_configured(settings):
            console.print(f"DuckLake ready: catalog at $SYNTH_POSTGRES_URL, data under {settings.lake_path}")
        url = settings.postgres_url.get_secret_value() if settings.postgres_url else ""
        ResponseCache(url=url).close()
        console.print("shared response cache ready at $SYNTH_POSTGRES_URL")
    except (WarehouseError, RuntimeError) as exc:
        _fail(str(exc))


@app.command()
def summary() -> None:
    """Print the per-round table from the warehouse."""
    settings = _settings()
    from synth_assets.orchestration.runner import round_summary

    try:
        _print_frame(round_summary(settings), "per-round summary")
    except WarehouseError as exc:
        _fail(str(exc))


@app.command()
def check() -> None:
    """Validate the experiments file and the human data files, reporting every problem."""
    _, ok, problems = _input_problems(_settings())
    for line in ok:
        console.print(Text(line), soft_wrap=True)
    for problem in problems:
        _say("error:", "bold red", problem)
    _say_sandbox()
    if problems:
        raise typer.Exit(2)


def _say_sandbox() -> None:
    """What code verification can enforce here: bubblewrap, and the per-sandbox limits."""
    from synth_assets.verify.sandbox import isolation

    iso = isolation()
    if iso.available:
        _say("code sandbox:", "bold", iso.description)
    else:
        _say("warning:", "bold yellow", f"code sandbox unavailable, code checks are refused: {iso.description}")


def _label(row: pd.Series) -> str:
    def val(key: str) -> str:
        v = row[key]
        return "" if pd.isna(v) else str(v)

    if not val("stage"):
        return f"[bold red]MISSING[/] {row['id']} (parent id with no row: the chain is broken here)"
    where = f"{val('experiment')} r{val('round')}" if val("experiment") else "human data"
    parts = [f"[bold]{val('stage')}[/] {row['id']}", where, val("origin")]
    parts += [
        f"generator={val('generator')}" if val("generator") else "",
        f"prompt={val('prompt_hash')}" if val("prompt_hash") else "",
    ]
    parts += [f"verdict={val('verdict')} ({val('verifier')})" if val("verdict") else ""]
    parts += [f"dropped={val('drop_reason')}" if val("drop_reason") else "", f"run={val('run_id')[:8]}"]
    text = " ".join(val("instruction").split())
    return "  ".join(p for p in parts if p) + (f"\n    [dim]{text[:100]}[/]" if text else "")


@app.command()
def audit(
    row_id: Annotated[str, typer.Argument(help="id of any row in any stage table")],
    as_json: Annotated[bool, typer.Option("--json", help="print the ancestry as JSON records")] = False,
) -> None:
    """Print the full ancestry of a row across stages and rounds, back to the human seed rows."""
    settings = _settings()
    from synth_assets.provenance.audit import UnknownRowError, ancestry, reaches_human_seed

    try:
        with open_configured(settings) as conn:
            df = ancestry(conn, row_id)
    except (UnknownRowError, WarehouseError) as exc:
        _fail(str(exc))
    if as_json:
        sys.stdout.write(df.to_json(orient="records", indent=1) + "\n")
        return
    nodes: dict[str, Tree] = {}
    root = None
    for _, row in df.sort_values("depth").iterrows():
        parent = nodes.get(row["child_id"]) if isinstance(row["child_id"], str) else None
        node = parent.add(_label(row)) if parent is not None else Tree(_label(row))
        root = root or node
        nodes[row["id"]] = node
    console.print(root)
    humans = int((df["stage"] == "human_seeds").sum())
    verdict = "[green]unbroken chain[/]" if reaches_human_seed(df) else "[red]BROKEN chain[/]"
    console.print(f"{len(df)} ancestors across {df['stage'].nunique()} stages; {humans} human seed row(s); {verdict}")
