"""Verifiable constraints for general tasks: the instruction-following checks of IFEval (Zhou et
al., 2023) that Tulu 3 trains on as verifiable rewards.

A general task can carry constraints a program checks (word and sentence counts, paragraphs,
bullets, sections, JSON output, case, keywords, start and end phrases). They are part of the
instruction the model sees (`describe`) and recorded on the row as the task's ground truth: the
`reference_answer` of a constrained task is a `ConstraintSpec` as JSON. One class per family
holds both its wording and its check, so what the model is told and what is checked cannot drift
apart. Counting follows IFEval where it defines it (words are `\\w+` runs, as its
`RegexpTokenizer(r"\\w+")`); sections and bullets are exact counts rather than IFEval's "at
least", so a narrow miss is a miss.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

Relation = Literal["at_least", "at_most"]
_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+")
_ABBREVIATIONS = frozenset("mr mrs ms dr prof st jr sr vs etc e.g i.e a.m p.m approx fig".split())
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_BULLET = re.compile(r"^[ \t]*[*-][ \t]+\S", re.MULTILINE)
_SECTION = re.compile(r"\bSECTION\s+(\d+)")
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL | re.IGNORECASE)


class _Constraint(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def describe(self) -> str:  # pragma: no cover - every family overrides it
        raise NotImplementedError

    def violation(self, response: str) -> str | None:  # pragma: no cover
        """None when the response meets the constraint, else what it got instead."""
        raise NotImplementedError


def _compare(relation: Relation, got: int, n: int, noun: str) -> str | None:
    ok = got >= n if relation == "at_least" else got <= n
    return None if ok else f"{got} {noun}"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n != 1 else f"1 {noun[:-1]}"


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def sentence_count(text: str) -> int:
    """Runs ending in . ! or ? (or a line break) that hold a word; a period after an
    abbreviation or an initial ("e.g.", "Dr.", "J.") ends nothing."""
    count, open_ = 0, False
    for part in _SENTENCE_END.split(text.strip()):
        if not _WORD.search(part):
            continue
        if not open_:
            count += 1
        last = part.rstrip().rsplit(None, 1)[-1].rstrip(".").lower()
        open_ = part.rstrip().endswith(".") and (last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()))
    return count


def paragraph_count(text: str) -> int:
    return sum(1 for block in _PARAGRAPH_BREAK.split(text.strip()) if block.strip())


class Words(_Constraint):
    kind: Literal["words"] = "words"
    relation: Relation
    n: int = Field(ge=1, le=10_000)

    def describe(self) -> str:
        return f"Answer with {self.relation.replace('_', ' ')} {_plural(self.n, 'words')}."

    def violation(self, response: str) -> str | None:
        return _compare(self.relation, word_count(response), self.n, "words")


class Sentences(_Constraint):
    kind: Literal["sentences"] = "sentences"
    relation: Relation
    n: int = Field(ge=1, le=1_000)

    def describe(self) -> str:
        return f"Your response should contain {self.relation.replace('_', ' ')} {_plural(self.n, 'sentences')}."

    def violation(self, response: str) -> str | None:
        return _compare(self.relation, sentence_count(response), self.n, "sentences")


class Paragraphs(_Constraint):
    kind: Literal["paragraphs"] = "paragraphs"
    n: int = Field(ge=1, le=100)

    def describe(self) -> str:
        return f"There should be exactly {_plural(self.n, 'paragraphs')}, separated from each other by a blank line."

    def violation(self, response: str) -> str | None:
        got = paragraph_count(response)
        return None if got == self.n else f"{got} paragraphs"


class Bullets(_Constraint):
    kind: Literal["bullets"] = "bullets"
    n: int = Field(ge=1, le=100)

    def describe(self) -> str:
        return (
            f"Your answer must contain exactly {_plural(self.n, 'bullet points')}, "
            "in markdown such as '* This is a point'."
        )

    def violation(self, response: str) -> str | None:
        got = len(_BULLET.findall(response))
        return None if got == self.n else f"{got} bullet points"


class Sections(_Constraint):
    kind: Literal["sections"] = "sections"
    n: int = Field(ge=1, le=100)

    def describe(self) -> str:
        return (
            f"Your response must have exactly {_plural(self.n, 'sections')}. Mark the beginning of each "
            "section with SECTION X, numbered from 1 (SECTION 1, SECTION 2, ...)."
        )

    def violation(self, response: str) -> str | None:
        numbers = [int(m) for m in _SECTION.findall(response)]
        if numbers == list(range(1, self.n + 1)):
            return None
        return f"section markers {numbers}" if numbers else "no SECTION markers"


class JsonOutput(_Constraint):
    kind: Literal["json"] = "json"

    def describe(self) -> str:
        return "Your entire output should be a JSON object or array; you may wrap it in markdown ticks (```)."

    def violation(self, response: str) -> str | None:
        text = response.strip()
        fenced = _FENCE.match(text)
        try:
            value = json.loads(fenced.group(1) if fenced else text)
        except ValueError as exc:
            return f"not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        return None if isinstance(value, dict | list) else f"JSON {type(value).__name__}, not an object or array"


def _case_violation(response: str, wrong: Callable[[str], bool], name: str) -> str | None:
    if not any(c.isalpha() for c in response):
        return "no letters"
    found = "".join(c for c in response if wrong(c))
    return f"{name} letters {found[:5]!r}" if found else None


class Lowercase(_Constraint):
    kind: Literal["lowercase"] = "lowercase"

    def describe(self) -> str:
        return "Your entire response should be in English and in lowercase letters only; no capital letters."

    def violation(self, response: str) -> str | None:
        return _case_violation(response, str.isupper, "capital")


class Uppercase(_Constraint):
    kind: Literal["uppercase"] = "uppercase"

    def describe(self) -> str:
        return "Your entire response should be in English and in capital letters only."

    def violation(self, response: str) -> str | None:
        return _case_violation(response, str.islower, "lowercase")


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE) is not None


class IncludeKeywords(_Constraint):
    kind: Literal["keywords_include"] = "keywords_include"
    words: tuple[str, ...] = Field(min_length=1, max_length=10)

    def describe(self) -> str:
        quoted = " and ".join(f'"{w}"' for w in self.words)
        return f"Include the keyword{'s' if len(self.words) > 1 else ''} {quoted} in the response."

    def violation(self, response: str) -> str | None:
        missing = [w for w in self.words if not _has_word(response, w)]
        return f"missing {missing}" if missing else None


class ExcludeKeywords(_Constraint):
    kind: Literal["keywords_exclude"] = "keywords_exclude"
    words: tuple[str, ...] = Field(min_length=1, max_length=10)

    def describe(self) -> str:
        quoted = " or ".join(f'"{w}"' for w in self.words)
        return f"Do not use the word{'s' if len(self.words) > 1 else ''} {quoted} in the response."

    def violation(self, response: str) -> str | None:
        used = [w for w in self.words if _has_word(response, w)]
        return f"uses {used}" if used else None


class StartPhrase(_Constraint):
    kind: Literal["start_phrase"] = "start_phrase"
    phrase: str = Field(min_length=1, max_length=200)

    def describe(self) -> str:
        return f'Begin your response with the exact phrase "{self.phrase}".'

    def violation(self, response: str) -> str | None:
        text = response.lstrip()
        return None if text.startswith(self.phrase) else f"begins {text[: len(self.phrase)]!r}"


class EndPhrase(_Constraint):
    kind: Literal["end_phrase"] = "end_phrase"
    phrase: str = Field(min_length=1, max_length=200)

    def describe(self) -> str:
        return f'Finish your response with the exact phrase "{self.phrase}"; no other words should follow it.'

    def violation(self, response: str) -> str | None:
        text = response.rstrip()
        return None if text.endswith(self.phrase) else f"ends {text[-len(self.phrase) :]!r}"


Constraint = Annotated[
    Words
    | Sentences
    | Paragraphs
    | Bullets
    | Sections
    | JsonOutput
    | Lowercase
    | Uppercase
    | IncludeKeywords
    | ExcludeKeywords
    | StartPhrase
    | EndPhrase,
    Field(discriminator="kind"),
]


class ConstraintSpec(BaseModel):
    """What a constrained task's `reference_answer` holds, as JSON."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    constraints: tuple[Constraint, ...] = Field(min_length=1, max_length=12)

    def describe(self) -> str:
        return " ".join(c.describe() for c in self.constraints)

    @property
    def sets_case(self) -> bool:
        """All lowercase or all capitals: sentence order cannot be read from capitals then."""
        return any(c.kind in ("lowercase", "uppercase") for c in self.constraints)

    def to_json(self) -> str:
        return self.model_dump_json(exclude_defaults=False)


_SPEC = TypeAdapter(ConstraintSpec)


@lru_cache(maxsize=4096)
def parse_spec(reference: str) -> ConstraintSpec:
    """A task's constraints from its `reference_answer`; `ValueError` naming the field when the
    text is not a spec (a hand-edited seed file, a row from another tool)."""
    try:
        return _SPEC.validate_json(reference)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ValueError(f"not a constraint spec: {where}: {first['msg']}") from None


def with_constraints(instruction: str, spec: ConstraintSpec) -> str:
    """The instruction the model sees: the task, then its constraints."""
    return f"{instruction.rstrip()} {spec.describe()}"


def without_constraints(instruction: str, reference: str | None) -> str:
    """The task a constrained instruction was made from (what novelty compares: two tasks that
    share a constraint sentence are not the same task)."""
    if not reference or not reference.lstrip().startswith('{"constraints"'):
        return instruction
    try:
        suffix = " " + parse_spec(reference).describe()
    except ValueError:
        return instruction
    return instruction[: -len(suffix)] if instruction.endswith(suffix) else instruction


def constraint_failures(response: str, spec: ConstraintSpec) -> list[str]:
    """One line per unmet constraint, naming it (`constraint 2 (Answer with at most 50 words.): 63 words`)."""
    return [
        f"constraint {i} ({c.describe()}): {why}"
        for i, c in enumerate(spec.constraints, start=1)
        if (why := c.violation(response)) is not None
    ]
