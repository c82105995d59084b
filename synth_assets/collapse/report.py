"""The collapse report: one curve per metric (metric vs round, a line per experiment) as PNG, a
grid of all curves, an HTML page and a markdown table."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: the report renders in a run, not on a screen
import matplotlib.pyplot as plt
import pandas as pd

from synth_assets.collapse.measure import METRICS, ROUND_FACT_PLOTS
from synth_assets.core.files import replacing, write_text

PLOTTED = {**{m.name: m.plot for m in METRICS if m.plot}, **ROUND_FACT_PLOTS}


@dataclass(frozen=True)
class ReportFiles:
    grid: Path
    per_metric: dict[str, Path]
    html: Path
    markdown: str


def _plot(ax: plt.Axes, df: pd.DataFrame, metric: str) -> None:
    for experiment, rows in df.sort_values("round").groupby("experiment"):
        ax.plot(rows["round"], rows[metric], marker="o", label=str(experiment))
    ax.set_title(PLOTTED[metric], fontsize=9)
    ax.set_xlabel("round")
    ax.grid(alpha=0.3)
    ax.xaxis.get_major_locator().set_params(integer=True)


def render(df: pd.DataFrame, out_dir: Path) -> ReportFiles:
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics = [m for m in PLOTTED if m in df.columns and df[m].notna().any()]
    per_metric = {}
    for metric in metrics:
        fig, ax = plt.subplots(figsize=(5, 3.2), dpi=100)
        _plot(ax, df, metric)
        ax.legend(fontsize=8)
        fig.tight_layout()
        per_metric[metric] = out_dir / f"{metric}.png"
        _save(fig, per_metric[metric])
        plt.close(fig)
    cols = 2
    rows = max(1, (len(metrics) + cols - 1) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(10, 3.2 * rows), dpi=90, squeeze=False)
    for ax, metric in zip(axes.flat, metrics, strict=False):
        _plot(ax, df, metric)
    for ax in list(axes.flat)[len(metrics) :]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=max(1, len(labels)))
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    grid = out_dir / "collapse_grid.png"
    _save(fig, grid)
    plt.close(fig)
    table = df.sort_values(["experiment", "round"])[["experiment", "round", *metrics]]
    markdown = table.round(3).to_markdown(index=False)
    page = out_dir / "collapse_report.html"
    write_text(page, _html(table, grid, per_metric))
    return ReportFiles(grid, per_metric, page, markdown)


def _save(fig: plt.Figure, path: Path) -> None:
    """Whole or not at all: the report directory may be one many hosts and the UI read."""
    with replacing(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip("."))


def _html(table: pd.DataFrame, grid: Path, per_metric: dict[str, Path]) -> str:
    images = "".join(
        f'<figure><img src="{p.name}" alt="{html.escape(m)}"><figcaption>{html.escape(PLOTTED[m])}'
        f"</figcaption></figure>"
        for m, p in per_metric.items()
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Collapse report</title>"
        "<style>body{font-family:sans-serif;margin:2em}figure{display:inline-block;margin:1em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}</style></head><body>"
        f"<h1>Model collapse across rounds</h1><img src='{grid.name}' alt='all metrics'>"
        f"<h2>Per metric</h2>{images}<h2>Values</h2>{table.round(4).to_html(index=False)}</body></html>"
    )


def embedded_image(path: Path) -> str:
    """Markdown that shows a PNG inline in the Dagster UI's metadata panel."""
    return f"![{path.stem}](data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()})"
