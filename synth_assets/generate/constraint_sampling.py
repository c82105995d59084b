"""Which verifiable constraints a new general task gets (IFEval's method: a task plus one or more
instructions a program can check, sampled so that they can all be met at once).

Parameters stay within what a response of a few hundred tokens can meet; keywords come from the
task's own words, as IFEval's are chosen to fit the prompt, so including (or avoiding) them is
a real request rather than an odd one.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from synth_assets.verify.constraints import (
    Bullets,
    Constraint,
    ConstraintSpec,
    EndPhrase,
    ExcludeKeywords,
    IncludeKeywords,
    JsonOutput,
    Lowercase,
    Paragraphs,
    Sections,
    Sentences,
    StartPhrase,
    Uppercase,
    Words,
)

_STOPWORDS = frozenset(
    "about above after again against being below between could doing during each every from have having "
    "into itself more most other ought same should some such than that their theirs them themselves then "
    "there these they this those through under until very were what when where which while whom would "
    "your yours yourself write given following please provide describe explain create make using".split()
)
_STARTS = ("Here is my answer:", "Let me explain.", "In short,")
_ENDS = ("Is there anything else I can help with?", "That is all.", "I hope this helps.")

# One family a group; pairs below cannot be met together (a JSON document has no start phrase,
# "SECTION" is not lowercase, a phrase has both cases, sentences fight layouts).
_GROUP = {
    "words": "length",
    "sentences": "length",
    "paragraphs": "layout",
    "bullets": "layout",
    "sections": "layout",
    "json": "layout",
    "lowercase": "case",
    "uppercase": "case",
    "keywords_include": "keywords",
    "keywords_exclude": "keywords",
    "start_phrase": "start",
    "end_phrase": "end",
}
_CLASHES = {
    frozenset(p)
    for p in (
        ("json", "start_phrase"),
        ("json", "end_phrase"),
        ("json", "uppercase"),
        ("sections", "lowercase"),
        ("start_phrase", "lowercase"),
        ("start_phrase", "uppercase"),
        ("end_phrase", "lowercase"),
        ("end_phrase", "uppercase"),
        *(("sentences", layout) for layout in ("paragraphs", "bullets", "sections", "json")),
    )
}


def content_words(instruction: str) -> list[str]:
    """The task's own distinctive words, first-seen order, for keyword constraints."""
    seen: dict[str, None] = {}
    for word in re.findall(r"[A-Za-z]{5,}", instruction):
        if word.lower() not in _STOPWORDS:
            seen.setdefault(word.lower(), None)
    return list(seen)


def _words(rng: random.Random, _: str) -> Constraint:
    relation = rng.choice(("at_least", "at_most"))
    return Words(relation=relation, n=rng.choice((15, 25, 40) if relation == "at_least" else (30, 50, 80)))


def _sentences(rng: random.Random, _: str) -> Constraint:
    relation = rng.choice(("at_least", "at_most"))
    return Sentences(relation=relation, n=rng.choice((2, 3, 4) if relation == "at_least" else (2, 3, 5)))


def _include(rng: random.Random, instruction: str) -> Constraint | None:
    words = content_words(instruction)
    return IncludeKeywords(words=tuple(rng.sample(words, min(len(words), rng.choice((1, 2)))))) if words else None


def _exclude(rng: random.Random, instruction: str) -> Constraint | None:
    words = content_words(instruction)
    return ExcludeKeywords(words=(rng.choice(words),)) if words else None


_MAKERS: dict[str, Callable[[random.Random, str], Constraint | None]] = {
    "words": _words,
    "sentences": _sentences,
    "paragraphs": lambda rng, _: Paragraphs(n=rng.choice((2, 3))),
    "bullets": lambda rng, _: Bullets(n=rng.choice((2, 3, 4))),
    "sections": lambda rng, _: Sections(n=rng.choice((2, 3))),
    "json": lambda rng, _: JsonOutput(),
    "lowercase": lambda rng, _: Lowercase(),
    "uppercase": lambda rng, _: Uppercase(),
    "keywords_include": _include,
    "keywords_exclude": _exclude,
    "start_phrase": lambda rng, _: StartPhrase(phrase=rng.choice(_STARTS)),
    "end_phrase": lambda rng, _: EndPhrase(phrase=rng.choice(_ENDS)),
}


def sample_constraints(instruction: str, rng: random.Random, at_most: int) -> ConstraintSpec | None:
    """1..at_most constraints that can hold together, or None when none fits the task."""
    wanted = rng.randint(1, at_most)
    kinds = list(_MAKERS)
    rng.shuffle(kinds)
    chosen: list[Constraint] = []
    for kind in kinds:
        if len(chosen) == wanted:
            break
        if any(_GROUP[c.kind] == _GROUP[kind] or frozenset((c.kind, kind)) in _CLASHES for c in chosen):
            continue
        made = _MAKERS[kind](rng, instruction)
        if made is not None:
            chosen.append(made)
    return ConstraintSpec(constraints=tuple(chosen)) if chosen else None
