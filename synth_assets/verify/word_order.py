"""Is a trace text, or a bag of its tokens? Sentence structure that shuffling destroys.

A shuffled solution keeps its compact claims (`3*50=150`, GSM8K's `<<48/2=24>>24` notes) intact,
so its arithmetic still holds; what it loses is order. English sentence boundaries are a cheap,
vocabulary-free witness of order: a sentence starter (`The`, `So`, `She`, ...) stands after a
sentence end, a sentence end is followed by a capital, a number or a line break, a line starts
with a capital, and an operator is followed by an operand. Abbreviations ("sq. ft.", "Mr."),
labels ("Class A"), unknowns ("x+4=25") and definitions ("Let H = distance") are not breaks.
Counted by `bench/verifier_bench.py` on 7,473 GSM8K training solutions: 98.6% have no such
violation and 99.7% at most one, against 0.3% and 1.5% of the same solutions with their words
shuffled; `MAX_VIOLATIONS` is the threshold chosen from those counts (with the derivation check,
shuffled solutions pass 0.8%). Cheaper
measures tried first separated far less: a Kneser-Ney model of the project's seeds, scoring a
text against its own shuffles, passed half the shuffles at the threshold that kept 99.5% of the
right solutions; a small LM (SmolLM2 via llama.cpp) was too slow per trace for 50,000-trace
rounds.
"""

from __future__ import annotations

import re

MAX_VIOLATIONS = 1
_STARTERS = frozenset(
    """The So She He They There This Then If In Each It We Thus Therefore First Next Finally Now Since
    After A An Her His That When Altogether Together Total Adding Subtracting Multiplying Dividing To Let
    And But Because One Two Three All Both""".split()
)
_BULLET = re.compile(r"^[ \t]*[*•-][ \t]+", re.MULTILINE)  # a list item starts its line's text
_TOKEN = re.compile(r"\S+|\n")
_CALCULATOR = re.compile(r"<<[^<>]*>>")
_SENTENCE_END = re.compile(r"[.!?:]$")
_NOT_AN_END = re.compile(r"\d[.:]$|\.\d|\.\.\.$")  # "2." in a list, "2.5", "3:00", "14..."
_ABBREVIATIONS = frozenset("sq ft mr mrs ms dr st vs etc e.g i.e lb lbs oz hr hrs min mins yd yds mi approx".split())
_VARIABLE = re.compile(r"^[A-Za-z](?:$|[^A-Za-z'’])")  # algebra: "x", "x+4=25", "p", "A.", "y/(18+y)"
_OPERATORS = frozenset(("=", "+", "*", "×"))  # "-" doubles as a dash in prose, "/" as a rate ($5 / day)
_OPERAND = re.compile(r"^[-$€£(\d.]")  # what follows an operator in arithmetic: a number, a sign, a bracket
_MATH = re.compile(r"^[=+\-*/×(\d$]")


def order_violations(text: str, verse: bool = False) -> int:
    """Places where the text breaks sentence order (see the module docstring). `verse`: lines
    may start in lowercase (poems, lists of pairs: general answers are not all prose)."""
    tokens = _TOKEN.findall(_BULLET.sub("", _CALCULATOR.sub("", text)))
    count = 0
    for i, token in enumerate(tokens):
        if token == "\n":
            continue
        before = tokens[i - 1] if i else "\n"
        after = tokens[i + 1] if i + 1 < len(tokens) else "\n"
        starts_sentence = before == "\n" or bool(_SENTENCE_END.search(before))
        count += token in _STARTERS and not starts_sentence and not _a_label(token, before, after)
        lowercase_line = before == "\n" and token[0].isalpha() and token[0].islower() and not _VARIABLE.match(token)
        count += lowercase_line and not verse
        count += _dangling(token, before, after)
        count += _ends_sentence(token) and after != "\n" and after[0].islower()
    return count


def _dangling(token: str, before: str, after: str) -> bool:
    """An operator with no operand after it: arithmetic continues with a number, a sign, a
    bracket or an unknown; "Let H = distance Hiro walked" defines one, and people add people
    ("Gretchen bowled a 120 + Mitzi bowled a 113")."""
    if token not in _OPERATORS or _OPERAND.match(after) or _VARIABLE.match(after):
        return False
    if token == "+" and after[:1].isupper():
        return False
    return not (token == "=" and len(before) == 1 and before.isalpha())


def _ends_sentence(token: str) -> bool:
    """A period, ! or ? that ends a sentence (not "2.", "2.5", "14...", "sq." or "Mr.")."""
    if not re.search(r"[.!?]$", token) or _NOT_AN_END.search(token[-3:]):
        return False
    return token.rstrip(".").lower() not in _ABBREVIATIONS


def _a_label(token: str, before: str, after: str) -> bool:
    """ "A" as a name or a variable ("Class A", "Packet A", "100 = A + 2A"), not the article.
    (Titles such as "The Kickers" were tried too: they let more shuffled text through than
    right text they saved.)"""
    return token == "A" and (before[:1].isupper() or bool(_MATH.match(before)) or bool(_MATH.match(after)))


def reads_as_text(text: str, verse: bool = False) -> bool:
    return order_violations(text, verse) <= MAX_VIOLATIONS
