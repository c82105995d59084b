"""experiment x round partitions, both static (dynamic ones break the DuckDB IO manager inside
`dg.materialize` on dagster 1.13: "The instance is not available to load partitions")."""

from __future__ import annotations

import dagster as dg

from synth_assets.config.experiments import Experiment, ExperimentsFile


def build_partitions(experiments: ExperimentsFile) -> dg.MultiPartitionsDefinition:
    return dg.MultiPartitionsDefinition(
        {
            "experiment": dg.StaticPartitionsDefinition(experiments.names),
            "round": dg.StaticPartitionsDefinition([str(r) for r in range(experiments.max_rounds)]),
        }
    )


PARTITION_EXPR = {"experiment": "experiment", "round": "round"}


def resolve(context: dg.AssetExecutionContext, experiments: ExperimentsFile) -> tuple[Experiment, int]:
    keys = context.partition_key.keys_by_dimension  # type: ignore[union-attr]
    exp = experiments.get(keys["experiment"])
    round_ = int(keys["round"])
    if round_ >= exp.rounds:
        raise dg.Failure(
            f"experiment '{exp.name}' is configured for {exp.rounds} round(s) (0..{exp.rounds - 1}); "
            f"round {round_} is outside it. Raise `rounds` in the experiments file to run it."
        )
    return exp, round_
