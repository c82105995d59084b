"""Materialization metadata a person reads at a glance in the UI."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import dagster as dg
import pandas as pd

from synth_assets.embed.session import EmbeddingSession
from synth_assets.llm.base import TextGenerator
from synth_assets.llm.dispatch import BudgetExceeded

OWNERS = ["team:synthetic-data"]
# A materialization's data version, set by us where the content defines it (the human files'
# fingerprint, a student's weights). A tag, not `Output(data_version=...)`, which is in beta.
DATA_VERSION_TAG = "dagster/data_version"
PREVIEW_ROWS = 8
PREVIEW_COLUMNS = ("id", "origin", "family", "recipe", "instruction", "response", "verdict", "drop_reason", "persona")
_CELL = 80


def source_version(*module_names: str) -> str:
    """A code version from the modules' source: edit the code and the UI marks the assets'
    materializations as built by other code (instead of a hand-kept "1" nobody bumps)."""
    from synth_assets.core.rows import content_hash

    return content_hash(*(inspect.getsource(sys.modules[name]) for name in module_names), length=12)


def round_asset_args(partitions: dg.PartitionsDefinition, group: str, *modules: str) -> dict[str, Any]:
    """The arguments every per-round asset outside the stage factory shares; its version is the
    source of the modules named (the asset's own first)."""
    return {
        "partitions_def": partitions,
        "group_name": group,
        "code_version": source_version(*modules),
        "owners": OWNERS,
    }


def _cell(value: Any) -> str:
    text = "" if value is None or (isinstance(value, float) and value != value) else str(value)
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= _CELL else text[: _CELL - 1] + "…"


def markdown_table(df: pd.DataFrame, columns: list[str] | None = None, limit: int = PREVIEW_ROWS) -> str:
    cols = columns or list(df.columns)
    if df.empty:
        return "_no rows_"
    head = "| " + " | ".join(cols) + " |\n|" + "---|" * len(cols) + "\n"
    body = "".join("| " + " | ".join(_cell(r[c]) for c in cols) + " |\n" for r in df.head(limit).to_dict("records"))
    return head + body


def counts_table(counts: Mapping[str, Any], key: str = "what", value: str = "rows") -> str:
    return f"| {key} | {value} |\n|---|---|\n" + "".join(f"| {k} | {v} |\n" for k, v in counts.items())


def table_metadata(df: pd.DataFrame) -> dict[str, Any]:
    cols = [c for c in PREVIEW_COLUMNS if c in df.columns]
    by_origin = df["origin"].value_counts().to_dict() if "origin" in df.columns else {}
    out = {
        "dagster/row_count": dg.MetadataValue.int(len(df)),
        "rows": dg.MetadataValue.int(len(df)),
        "by_origin": dg.MetadataValue.md(
            counts_table({k: by_origin.get(k, 0) for k in ("human", "synthetic")}, "origin")
        ),
        "preview": dg.MetadataValue.md(markdown_table(df, cols)),
    }
    if "recipe" in df.columns:  # how the rows' tasks were made, on every table that carries tasks
        by_recipe = df["recipe"].fillna("unknown").value_counts().sort_index().to_dict()
        out["by_recipe"] = dg.MetadataValue.md(counts_table(by_recipe, "recipe"))
    return out


def progress_logger(context: dg.AssetExecutionContext, what: str, every: float = 0.1):
    """Log roughly every 10% of a long generation so the run's log shows it moving."""
    state = {"next": every}

    def report(done: int, total: int) -> None:
        if total and (done / total >= state["next"] or done == total):
            context.log.info(f"{what}: {done}/{total} ({done / total:.0%})")
            state["next"] = done / total + every

    return report


def llm_metadata(gen: TextGenerator) -> dict[str, dg.MetadataValue]:
    """Calls, cache, failures, tokens and cost of one materialization's generation."""
    stats = gen.stats
    return {
        "generator": dg.MetadataValue.text(gen.label),
        "llm_calls": dg.MetadataValue.md(counts_table(stats.summary(), "statistic", "value")),
        "cache_hits": dg.MetadataValue.int(stats.cache_hits),
        "cache_misses": dg.MetadataValue.int(stats.cache_misses),
        "failed_requests": dg.MetadataValue.int(stats.failed),
        "input_tokens": dg.MetadataValue.int(stats.prompt_tokens),
        "output_tokens": dg.MetadataValue.int(stats.completion_tokens),
        "cost_usd": dg.MetadataValue.float(round(stats.cost_usd, 6)),
    }


def embedding_metadata(session: EmbeddingSession) -> dict[str, dg.MetadataValue]:
    """Texts, cache, calls, tokens and cost of one materialization's embedding."""
    stats = session.stats
    return {
        "embedder": dg.MetadataValue.text(session.label),
        "embedding_calls": dg.MetadataValue.md(counts_table(stats.summary(), "statistic", "value")),
        "embedding_cost_usd": dg.MetadataValue.float(round(stats.cost_usd, 6)),
    }


@contextmanager
def budget_failure(metadata: Callable[[], Mapping[str, dg.MetadataValue]]) -> Iterator[None]:
    """A spent budget fails the step with what was bought and what is left (`metadata`, read
    when it happens), shown in the UI."""
    try:
        yield
    except BudgetExceeded as exc:
        raise dg.Failure(description=str(exc), metadata=dict(metadata()), allow_retries=False) from None
