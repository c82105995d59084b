"""The collapse report: one curve per metric (metric vs round, a line per experiment: the mean of
its replicates with a shaded 95% interval) as PNG, a grid of all curves, the last round's
regime differences with their tests, an HTML page and a markdown table.

Every lexical-diversity curve is drawn beside a tail or embedding metric and says so: in
self-training over eleven generations (Liu 2026) the type-token ratio rose while deep syntax
collapsed, so distinct-n alone can read "more diverse" during collapse."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: the report renders in a run, not on a screen
import matplotlib.pyplot as plt
import pandas as pd

from synth_assets.collapse.comparison import last_round_differences, summarise, verdicts, with_groups
from synth_assets.collapse.measure import METRICS, ROUND_FACT_PLOTS
from synth_assets.core.files import replacing, write_text

PLOTTED = {**{m.name: m.plot for m in METRICS if m.plot}, **ROUND_FACT_PLOTS}
LEXICAL = {m.name for m in METRICS if m.lexical}
# what each lexical curve is read with: the tail and the embedding recall fall when collapse does
READ_WITH = {"distinct_2": "tail_coverage", "vocabulary": "embedding_recall"}
LEXICAL_CAUTION = (
    "Lexical diversity can rise during collapse (Liu 2026: type-token ratio up over eleven self-training "
    "generations while deep syntax collapsed); read it with the curve beside it."
)
# a tiny mix's perplexity is thousands: one axis for all on a log scale
LOG_SCALE = {"heldout_perplexity", "neural_heldout_perplexity"}
SMALL_MIX = 50  # an experiment whose mixes never reach this many rows is a smoke test, not a measurement
SHUMAILOV = (
    "Reference, Shumailov et al. (Nature 2024), OPT-125m fine-tuned on wikitext2: 34 perplexity on real data; "
    "20-28 points worse over generations with no original data kept; only minor degradation with 10% kept. "
    "Compare the direction and the ordering of the regimes, not the numbers: these students are trained from "
    "scratch on a few thousand words."
)
COMPARED = [
    "heldout_perplexity",
    "neural_heldout_perplexity",
    "embedding_recall",
    "tail_coverage",
    "distinct_2",
    "js_divergence",
    "vendi",
]


@dataclass(frozen=True)
class ReportFiles:
    grid: Path
    per_metric: dict[str, Path]
    html: Path
    markdown: str
    differences: pd.DataFrame
    verdicts: list[str]


def _plot(ax: plt.Axes, df: pd.DataFrame, metric: str) -> None:
    summary = summarise(df, metric)
    for group, rows in summary.groupby("group", sort=True):
        (line,) = ax.plot(rows["round"], rows["mean"], marker="o", label=str(group))
        ax.fill_between(rows["round"], rows["lo"], rows["hi"], color=line.get_color(), alpha=0.18, linewidth=0)
    title = PLOTTED[metric] + (f"  (read with {READ_WITH[metric]})" if metric in READ_WITH else "")
    ax.set_title(title, fontsize=9)
    if metric in LOG_SCALE and (summary["lo"].fillna(summary["mean"]) > 0).all():
        ax.set_yscale("log")
    ax.set_xlabel("round")
    ax.grid(alpha=0.3)
    ax.xaxis.get_major_locator().set_params(integer=True)


def _ordered(metrics: list[str]) -> list[str]:
    """Each lexical metric directly followed by the metric it is read with."""
    out: list[str] = []
    for m in metrics:
        if m in out:
            continue
        out.append(m)
        partner = READ_WITH.get(m)
        if partner in metrics and partner not in out:
            out.append(partner)
    return out


def render(df: pd.DataFrame, out_dir: Path) -> ReportFiles:
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics = _ordered([m for m in PLOTTED if m in df.columns and df[m].notna().any()])
    per_metric = {}
    for metric in metrics:
        fig, ax = plt.subplots(figsize=(5, 3.2), dpi=100)
        _plot(ax, df, metric)
        ax.legend(fontsize=8)
        # one axes of known furniture: fixed margins, not tight_layout's text measuring (0.25 s a figure)
        fig.subplots_adjust(left=0.14, right=0.97, top=0.9, bottom=0.15)
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
    fig.legend(handles, labels, loc="upper center", ncol=max(1, min(len(labels), 4)))
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    grid = out_dir / "collapse_grid.png"
    _save(fig, grid)
    plt.close(fig)
    differences, said = findings(df)
    said = said + _small(df)
    shown = [c for c in ("experiment", "experiment_group", "replicate", "round") if c in df.columns]
    table = df.sort_values(["experiment", "round"])[[*shown, *metrics]]
    students = student_table(df)
    markdown = _markdown(table, said, students)
    page = out_dir / "collapse_report.html"
    write_text(page, _html(table, grid, per_metric, said, students))
    return ReportFiles(grid, per_metric, page, markdown, differences, said)


def findings(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The last round's regime differences and the report's sentence for each (`synth run` prints them too)."""
    differences = last_round_differences(df, [m for m in COMPARED if m in df.columns])
    return differences, verdicts(differences, PLOTTED)


def student_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per experiment with a neural student: its held-out perplexity and the n-gram student's at
    the first and the last round, with the change: the shape of Shumailov et al.'s table."""
    if "neural_heldout_perplexity" not in df.columns or df["neural_heldout_perplexity"].isna().all():
        return pd.DataFrame()
    rows = []
    for group, part in with_groups(df).groupby("experiment_group", sort=True):
        if part["neural_heldout_perplexity"].isna().all():
            continue
        first, last = part["round"].min(), part["round"].max()
        row = {"experiment": group, "regime": _regime(part), "rounds": int(last - first + 1)}
        for metric, label in (("neural_heldout_perplexity", "neural"), ("heldout_perplexity", "n-gram")):
            start = summarise(part, metric).set_index("round")["mean"]
            row[f"{label} first"] = round(float(start.get(first, float("nan"))), 1)
            row[f"{label} last"] = round(float(start.get(last, float("nan"))), 1)
            row[f"{label} change"] = round(row[f"{label} last"] - row[f"{label} first"], 1)
        rows.append(row)
    return pd.DataFrame(rows)


def _regime(part: pd.DataFrame) -> str:
    regime = str(part["regime"].iloc[0]) if "regime" in part.columns else "?"
    if regime == "fixed_fraction" and "human_fraction" in part.columns:
        return f"fixed_fraction {part['human_fraction'].mean():.0%} human"
    return regime


def _small(df: pd.DataFrame) -> list[str]:
    if "train_rows" not in df.columns:
        return []
    largest = with_groups(df).groupby("experiment_group")["train_rows"].max()
    small = sorted(str(g) for g, n in largest.items() if n < SMALL_MIX)
    if not small:
        return []
    return [
        f"Too small to measure collapse (no mix of {SMALL_MIX} rows or more): {', '.join(small)}; their curves are "
        "a smoke test of the pipeline, not evidence."
    ]


def _markdown(table: pd.DataFrame, said: list[str], students: pd.DataFrame) -> str:
    head = ["**Last round, regimes compared**", *(f"- {s}" for s in said)] if said else []
    if len(students):
        head += ["", "**Both students, first and last round**", "", students.to_markdown(index=False), "", SHUMAILOV]
    return "\n".join([*head, "", f"_{LEXICAL_CAUTION}_", "", table.round(3).to_markdown(index=False)])


def _save(fig: plt.Figure, path: Path) -> None:
    """Whole or not at all: the report directory may be one many hosts and the UI read."""
    with replacing(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip("."))


def _html(table: pd.DataFrame, grid: Path, per_metric: dict[str, Path], said: list[str], students: pd.DataFrame) -> str:
    images = "".join(
        f'<figure><img src="{p.name}" alt="{html.escape(m)}"><figcaption>{html.escape(PLOTTED[m])}'
        + (f"<br><em>{html.escape(LEXICAL_CAUTION)}</em>" if m in LEXICAL else "")
        + "</figcaption></figure>"
        for m, p in per_metric.items()
    )
    findings = "".join(f"<li>{html.escape(s)}</li>" for s in said) or "<li>no group has replicates to compare</li>"
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Collapse report</title>"
        "<style>body{font-family:sans-serif;margin:2em}figure{display:inline-block;margin:1em;max-width:520px}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}</style></head><body>"
        "<h1>Model collapse across rounds</h1><p>Lines: the mean of each experiment's replicates; bands: 95% "
        "intervals (t across replicates; a single run's own bootstrap interval).</p>"
        f"<img src='{grid.name}' alt='all metrics'><h2>Last round, regimes compared</h2><ul>{findings}</ul>"
        f"<p><em>{html.escape(LEXICAL_CAUTION)}</em></p>"
        + (
            f"<h2>Both students, first and last round</h2>{students.to_html(index=False)}"
            f"<p>{html.escape(SHUMAILOV)}</p>"
            if len(students)
            else ""
        )
        + f"<h2>Per metric</h2>{images}<h2>Values</h2>{table.round(4).to_html(index=False)}</body></html>"
    )


def embedded_image(path: Path) -> str:
    """Markdown that shows a PNG inline in the Dagster UI's metadata panel."""
    return f"![{path.stem}](data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()})"
