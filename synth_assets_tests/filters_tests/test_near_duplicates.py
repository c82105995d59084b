import random

from synth_assets.filters.near_duplicates import jaccard, near_duplicates, shingles


def test_edits_are_caught_and_distinct_texts_kept() -> None:
    texts = [
        "Write a short poem about the winter sea.",
        "Give three uses for a brick.",
        "write a SHORT poem about the winter  sea!",  # case, spacing, punctuation
        "Write a short poem about the winter seas.",  # one character
        "Write a short poem about the summer sky.",  # a different task
    ]
    decisions = near_duplicates(texts, threshold=0.7)
    assert [d.kept for d in decisions] == [True, True, False, False, True]
    assert decisions[2].duplicate_of == 0 and decisions[2].jaccard >= 0.7


def test_drops_are_confirmed_by_exact_jaccard() -> None:
    rng = random.Random(0)
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()
    texts = [" ".join(rng.choice(words) for _ in range(8)) for _ in range(300)]
    for i, d in enumerate(near_duplicates(texts, threshold=0.8)):
        if not d.kept:
            assert jaccard(shingles(texts[i]), shingles(texts[d.duplicate_of])) >= 0.8
            assert d.duplicate_of < i


def test_short_and_empty_texts() -> None:
    assert shingles("") == set()
    assert shingles("Hi") == {"hi"}
    assert [d.kept for d in near_duplicates(["", "", "hi"], 0.8)] == [True, False, True]


def test_a_threshold_above_what_lsh_can_band_still_works() -> None:
    from synth_assets.filters.near_duplicates import near_duplicates

    decisions = near_duplicates(["a b c d e f g h", "a b c d e f g h", "a b c d e f g x"], threshold=0.99)
    assert [d.kept for d in decisions] == [True, False, True]
