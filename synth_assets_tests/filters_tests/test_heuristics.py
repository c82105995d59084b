import pytest

from synth_assets.filters.diversity import farthest_point
from synth_assets.filters.heuristics import garbage_reason, self_instruct_reason
from synth_assets.filters.perplexity_band import fit_band


@pytest.mark.parametrize(
    ("instruction", "reason"),
    [
        ("Make a diagram of the water cycle.", "keyword 'diagram'"),
        ("Summarise this video in two lines.", "keyword 'video'"),
        ("Plot the function y = x^2.", "keyword 'plot'"),
        ("Go to the store and buy milk.", "keyword 'go to'"),
        ("Write a program that prints primes.", "starts with 'Write a program'"),
        ("- List three fruits.", "starts with punctuation"),
        ("Écris un poème.", "starts with a non-ASCII character"),
        ("Mapping the genome is hard; explain why.", None),  # whole words only: 'map' is not 'mapping'
        ("Write a Python function that reverses a string.", None),
        ("Sort these numbers: 3, 1, 2.", None),
    ],
)
def test_self_instruct_rules(instruction: str, reason: str | None) -> None:
    found = self_instruct_reason(instruction)
    assert (found is None) if reason is None else (found is not None and found.startswith(reason))


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("the the the the " * 10, True),
        ("#### $$$ %%% ^^^ &&& ***", True),
        ("Step 1.\nStep 1.\nStep 1.\nStep 2.", True),
        ("Add 3 and 4 to get 7. The answer is 7.", False),
        ("x = 2 + 3 = 5", False),
        ("", False),
    ],
)
def test_garbage(text: str, fires: bool) -> None:
    assert (garbage_reason(text) is not None) == fires


def test_perplexity_band_is_calibrated_on_rows_the_model_did_not_see() -> None:
    human = [
        f"The {a} sat near the {b} and watched the rain fall."
        for a in ("cat", "dog", "bird", "fox")
        for b in ("door", "tree", "wall", "lake")
    ]
    band = fit_band(human, (0.0, 1.0))
    assert 1.0 < band.low <= band.high
    assert band.reason(band.perplexity("The cat sat near the lake and watched the rain fall.")) is None
    assert "above" in (band.reason(band.perplexity("quantum zebra ledger violin xylophone")) or "")
    with pytest.raises(ValueError, match="at least 10 human rows"):
        fit_band(human[:5], (0.0, 1.0))


def test_farthest_point_spreads_over_clusters() -> None:
    texts = ["red apple pie"] * 5 + ["blue car engine"] * 5 + ["green tree leaf"] * 5
    choice = farthest_point(texts, 3)
    assert sorted(t.split()[0] for t in (texts[i] for i in choice.selected)) == ["blue", "green", "red"]
    assert farthest_point(texts, 99).selected == list(range(15))
