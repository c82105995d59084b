"""The report draws real curves: check pixels, not just that files exist."""

import numpy as np
import pandas as pd
from matplotlib import image

from synth_assets.collapse.report import PLOTTED, render, student_table

BLUE, ORANGE = np.array([31, 119, 180]) / 255, np.array([255, 127, 14]) / 255  # matplotlib C0, C1


def _metrics() -> pd.DataFrame:
    rows = []
    for experiment, slope in (("replace", 40.0), ("accumulate", 2.0)):
        for r in range(5):
            rows.append(
                {
                    "experiment": experiment,
                    "round": r,
                    "heldout_perplexity": 40 + slope * r,
                    "neural_heldout_perplexity": 30 + slope * r / 2,
                    "regime": experiment,
                    "tail_coverage": 1 - (0.1 * r if experiment == "replace" else 0),
                    "distinct_2": 0.5,
                    "self_similarity": 0.1,
                    "js_divergence": 0.05 * r,
                    "vocabulary": 900 - 50 * r,
                    "verified_rate": 0.1,
                    "human_fraction": 0.0 if experiment == "replace" else 0.5,
                    "vendi": 90 - slope * r / 4,
                    "frechet_to_human": 0.6 + slope * r / 200,
                    "embedding_recall": 1 - (0.08 * r if experiment == "replace" else 0.01 * r),
                    "embedding_coverage": 0.4,
                }
            )
    return pd.DataFrame(rows)


def _has_colour(pixels: np.ndarray, colour: np.ndarray) -> bool:
    return bool((np.abs(pixels[..., :3] - colour).max(axis=-1) < 0.05).sum() > 50)


def test_report_images_contain_both_experiment_curves(tmp_path) -> None:
    files = render(_metrics(), tmp_path)
    assert set(files.per_metric) == set(PLOTTED)
    for path in [files.grid, *files.per_metric.values()]:
        pixels = image.imread(path)
        assert pixels.shape[0] > 200 and pixels.shape[1] > 300
        non_white = (pixels[..., :3] < 0.95).any(axis=-1).mean()
        assert 0.01 < non_white < 0.6, f"{path.name}: {non_white:.3f} of pixels drawn"
        assert _has_colour(pixels, BLUE) and _has_colour(pixels, ORANGE), path.name
    page = files.html.read_text()
    assert "collapse_grid.png" in page and "heldout_perplexity.png" in page and "<table" in page
    assert files.markdown.count("\n") >= 10 and "replace" in files.markdown


def test_replicates_are_drawn_as_mean_and_band_and_the_last_round_compared(tmp_path) -> None:
    rng = np.random.default_rng(0)
    frames = []
    for replicate in range(3):
        one = _metrics().assign(replicate=replicate, experiment_group=lambda d: d["experiment"])
        one["experiment"] = one["experiment"] + f"-r{replicate}"
        one["heldout_perplexity"] += rng.normal(0, 2, len(one))
        frames.append(one)
    files = render(pd.concat(frames, ignore_index=True), tmp_path)
    said = [s for s in files.verdicts if s.startswith("held-out human perplexity")]
    assert said == [s for s in said if "round 4: accumulate" in s and "holds beyond the intervals" in s] and said
    pixels = image.imread(files.per_metric["heldout_perplexity"])
    light_blue = 1 - 0.18 * (1 - BLUE)  # the band: C0 at alpha 0.18 on white
    assert _has_colour(pixels, light_blue) and _has_colour(pixels, BLUE)
    assert "read with tail_coverage" in files.markdown or "Lexical diversity can rise" in files.markdown
    assert "Lexical diversity can rise" in files.html.read_text()


def test_experiments_with_tiny_mixes_are_called_a_smoke_test(tmp_path) -> None:
    df = _metrics().assign(train_rows=lambda d: d["experiment"].map({"replace": 4, "accumulate": 300}))
    files = render(df, tmp_path)
    assert [s for s in files.verdicts if s.startswith("Too small")] == [
        "Too small to measure collapse (no mix of 50 rows or more): replace; their curves are a smoke test of the "
        "pipeline, not evidence."
    ]


def test_both_students_are_tabled_first_and_last_round(tmp_path) -> None:
    df = _metrics()
    table = student_table(df).set_index("experiment")
    assert table.loc["replace", "neural first"] == 30 and table.loc["replace", "neural last"] == 110
    assert table.loc["replace", "neural change"] == 80 and table.loc["accumulate", "neural change"] == 4
    assert table.loc["replace", "n-gram change"] == 160 and table.loc["accumulate", "rounds"] == 5
    files = render(df, tmp_path)
    assert "Both students" in files.markdown and "Shumailov" in files.markdown
    assert "neural_heldout_perplexity" in files.per_metric
    no_neural = df.assign(neural_heldout_perplexity=float("nan"))
    assert student_table(no_neural).empty and student_table(df.drop(columns="neural_heldout_perplexity")).empty
    files = render(no_neural, tmp_path / "plain")
    assert "Both students" not in files.markdown and "neural_heldout_perplexity" not in files.per_metric
