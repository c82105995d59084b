"""Responses whose compliance with a constraint is known by construction, for each IFEval family
the `constraints` verifier checks: one that meets it and one that narrowly misses it (one word,
sentence, paragraph, bullet or section too many or too few; one capital letter; a trailing
comma in the JSON; a word after the end phrase; a keyword only inside a longer word ...).

The text comes from the project's own human responses (data/seeds/instruction_tasks.jsonl), so
this part of the bench needs nothing outside the repository. Counts are set while the text is
built (words are alphabetic, sentences are written one by one), never measured with the
checker's own counting functions.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from synth_assets.verify.constraints import (
    Bullets,
    Constraint,
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

SEEDS = Path(__file__).resolve().parents[1] / "data" / "seeds" / "instruction_tasks.jsonl"
Case = tuple[Constraint, str, bool]  # constraint, response, whether it meets the constraint


class Text:
    """Alphabetic words of human responses, handed out in seeded runs."""

    def __init__(self, rng: random.Random) -> None:
        rows = [json.loads(line) for line in SEEDS.read_text().splitlines() if line.strip()]
        self.words = [w.lower() for r in rows for w in re.findall(r"[A-Za-z]+", r["output"])]
        self.rng = rng

    def run(self, n: int) -> list[str]:
        start = self.rng.randrange(len(self.words) - n)
        return self.words[start : start + n]

    def sentence(self, words: int | None = None, end: str | None = None) -> str:
        """A sentence whose end no reader could doubt: its last word is not an abbreviation."""
        ws = self.run(words or self.rng.randint(4, 10))
        while ws[-1] in ("dr", "mr", "mrs", "ms", "st", "etc") or len(ws[-1]) == 1:
            ws[-1] = self.rng.choice(self.words)
        extra = self.rng.random()
        if extra < 0.15:
            ws.insert(len(ws) // 2, "e.g.")
        elif extra < 0.3:
            ws.insert(len(ws) // 2, f"{self.rng.randint(1, 99)}.{self.rng.randint(1, 9)}")
        elif extra < 0.4:
            ws.insert(1, "Dr.")
        ws[0] = ws[0].capitalize()
        return " ".join(ws) + (end or self.rng.choice((".", ".", "!", "?", '."')))

    def sentences(self, k: int) -> str:
        return " ".join(self.sentence() for _ in range(k))


def _words(t: Text, met: bool) -> Case:
    relation = t.rng.choice(("at_least", "at_most"))
    n = t.rng.randint(10, 80)
    miss = -1 if relation == "at_least" else 1
    count = (n + t.rng.choice((0, 0, 3))) if relation == "at_least" and met else n if met else n + miss
    ws = t.run(count)
    for i in range(0, len(ws) - 1, t.rng.randint(5, 9)):
        ws[i] += ","
    ws[0] = ws[0].capitalize()
    return Words(relation=relation, n=n), " ".join(ws) + ".", met


def _sentences(t: Text, met: bool) -> Case:
    relation = t.rng.choice(("at_least", "at_most"))
    n = t.rng.randint(2, 6)
    k = n if met else n - 1 if relation == "at_least" else n + 1
    return Sentences(relation=relation, n=n), t.sentences(k), met


def _paragraphs(t: Text, met: bool) -> Case:
    n = t.rng.randint(2, 4)
    k = n if met else n + t.rng.choice((-1, 1))
    blocks = [t.sentences(t.rng.randint(1, 3)) for _ in range(k)]
    if not met and t.rng.random() < 0.5:  # two paragraphs with no blank line between them
        blocks = [t.sentences(2) for _ in range(n)]
        blocks[0:2] = [blocks[0] + "\n" + blocks[1]]
    separator = t.rng.choice(("\n\n", "\n \n", "\n\n\n"))
    return Paragraphs(n=n), separator.join(blocks), met


def _bullets(t: Text, met: bool) -> Case:
    n = t.rng.randint(2, 5)
    k = n if met else n + t.rng.choice((-1, 1))
    mark = t.rng.choice(("* ", "- ", "  * "))
    lines = [t.sentence()] if t.rng.random() < 0.5 else []
    lines += [f"{mark}{t.sentence()}" for _ in range(k)]
    if t.rng.random() < 0.5:
        lines.append(f"**{t.sentence(3, '')}**")  # bold is not a bullet
    return Bullets(n=n), "\n".join(lines), met


def _sections(t: Text, met: bool) -> Case:
    n = t.rng.randint(2, 4)
    numbers = list(range(1, n + 1))
    if not met:
        numbers = t.rng.choice((numbers[:-1], [*numbers[:-1], n + 1], [*numbers, n + 1]))
    parts = [f"SECTION {i}\n{t.sentences(2)}" for i in numbers]
    return Sections(n=n), "\n\n".join(parts), met


def _json(t: Text, met: bool) -> Case:
    value: object = {w: t.sentence() for w in t.run(3)} if t.rng.random() < 0.7 else [t.sentence() for _ in range(3)]
    text = json.dumps(value, indent=t.rng.choice((None, 2)))
    if not met:
        broken = (
            lambda s: s[:-1] + ",]" if s.endswith("]") else s[:-1] + ",}",  # trailing comma
            lambda s: s.replace('"', "'"),  # single quotes
            lambda s: "Here is the JSON: " + s,  # prose around it
            lambda s: s[: len(s) // 2],  # cut off
        )
        text = t.rng.choice(broken)(text)
    elif t.rng.random() < 0.4:
        text = f"```json\n{text}\n```"
    return JsonOutput(), text, met


def _lowercase(t: Text, met: bool) -> Case:
    text = t.sentences(3).lower()
    if not met:
        at = t.rng.choice([m.start() for m in re.finditer(r"[a-z]", text)])
        text = text[:at] + text[at].upper() + text[at + 1 :]
    return Lowercase(), text, met


def _uppercase(t: Text, met: bool) -> Case:
    text = t.sentences(3).upper()
    if not met:
        text = text.replace(" ", f" {t.rng.choice(('kg', 'iPhone', 'x'))} ", 1)
    return Uppercase(), text, met


def _include(t: Text, met: bool) -> Case:
    keywords = tuple(dict.fromkeys(w for w in t.run(40) if len(w) >= 5))[:2] or ("lighthouse",)
    body = [t.sentence() for _ in range(3)]
    present = keywords if met else keywords[:-1]
    for word in present:
        i = t.rng.randrange(len(body))
        body[i] = body[i][:-1] + f" {t.rng.choice((word, word.capitalize()))}" + body[i][-1]
    if not met:  # the last keyword only inside a longer word
        body[-1] = body[-1][:-1] + f" {keywords[-1]}s" + body[-1][-1]
    text = " ".join(body)
    if met or not any(re.search(rf"\b{k}\b", text, re.I) for k in keywords[-1:]):
        return IncludeKeywords(words=keywords), text, met
    return _include(t, met)  # the filler text happened to hold the missing keyword


def _exclude(t: Text, met: bool) -> Case:
    word = next((w for w in t.run(40) if len(w) >= 5), "lighthouse")
    body = [s for s in (t.sentence() for _ in range(6)) if not re.search(rf"\b{word}\b", s, re.I)][:3]
    if met:
        body[0] = body[0][:-1] + f" {word}s" + body[0][-1]  # a longer word holding it is not the word
    else:
        body[-1] = f"{word.capitalize()} " + body[-1][0].lower() + body[-1][1:]
    return ExcludeKeywords(words=(word,)), " ".join(body), met


_PHRASES = ("Here is my answer:", "Is there anything else I can help with?", "That is all.")


def _start(t: Text, met: bool) -> Case:
    phrase = t.rng.choice(_PHRASES)
    start = (
        t.rng.choice(("", "\n", "  ")) + phrase
        if met
        else t.rng.choice((phrase[0].lower() + phrase[1:], phrase[:-1], "Sure! " + phrase))
    )
    return StartPhrase(phrase=phrase), f"{start} {t.sentences(2)}", met


def _end(t: Text, met: bool) -> Case:
    phrase = t.rng.choice(_PHRASES)
    end = phrase + t.rng.choice(("", "\n", " ")) if met else t.rng.choice((phrase + " Thanks!", phrase[:-1]))
    return EndPhrase(phrase=phrase), f"{t.sentences(2)} {end}", met


FAMILIES: dict[str, Callable[[Text, bool], Case]] = {
    "words": _words,
    "sentences": _sentences,
    "paragraphs": _paragraphs,
    "bullets": _bullets,
    "sections": _sections,
    "json": _json,
    "lowercase": _lowercase,
    "uppercase": _uppercase,
    "keywords_include": _include,
    "keywords_exclude": _exclude,
    "start_phrase": _start,
    "end_phrase": _end,
}


def constraint_cases(per_family: int = 9, seed: int = 0) -> Iterator[tuple[str, Case]]:
    """(family, case): `per_family` met and as many narrowly missed responses a family."""
    text = Text(random.Random(seed))
    for family, make in FAMILIES.items():
        for i in range(2 * per_family):
            yield family, make(text, i % 2 == 0)
