"""AI feedback (RLAIF, Bai et al. 2022; Lee et al. 2023): the model is asked which of two
responses better meets a principle. Models favour a position, so each pair is asked twice with
the responses swapped; only a choice that survives the swap is a label, and a pair whose two
answers point at the same slot is kept as `inconsistent` (position bias, not a preference).

The same question, asked of the judge, says whether a constitutional revision is better than the
response it revised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from synth_assets.config.experiments import BackendConfig
from synth_assets.core.seeding import derived_seed
from synth_assets.generate.roles import chat_request, structured
from synth_assets.llm.base import Generation, GenerationRequest, ProgressFn, TextGenerator
from synth_assets.llm.structured import OutputSchema, fields

SYSTEM = "You compare two answers to the same task and pick the better one. You are fair to both."
CHOICE = OutputSchema.of(
    "choice",
    {
        "type": "object",
        "properties": {  # the reason first: a choice made after its justification
            "reason": {"type": "string", "maxLength": 300},
            "better": {"type": "string", "enum": ["A", "B"]},
        },
        "required": ["reason", "better"],
        "additionalProperties": False,
    },
)
_PICK = re.compile(r"\b(?:response|answer)\s*\(?([AB])\)?\b|^\s*\(?([AB])\)?\s*(?:[.:)\n]|$)", re.I | re.M)
Preferred = Literal["first", "second", "inconsistent"]


@dataclass(frozen=True)
class Pair:
    """Two responses to one task, the question that decides between them, and the id that
    seeds its calls."""

    task: str
    first: str
    second: str
    question: str
    key: str


@dataclass(frozen=True)
class Choice:
    preferred: Preferred | None = None
    votes: tuple[str, ...] = ()  # what each order answered: ('A', 'B') is 'first' twice
    reasons: tuple[str, ...] = ()
    failure: str | None = None


def prompt(task: str, a: str, b: str, question: str, as_json: bool) -> str:
    shape = 'Answer as {"reason": "one sentence", "better": "A" or "B"}.' if as_json else "Answer 'A' or 'B'."
    return f"### Task\n{task}\n\n### Response A\n{a}\n\n### Response B\n{b}\n\n{question} {shape}\nBetter:"


def parse_pick(text: str, output: OutputSchema | None) -> tuple[str | None, str]:
    """('A' | 'B' | None, reason) from either form of answer."""
    if output is not None:
        value = fields(text, output)
        return (value["better"], value["reason"]) if value else (None, "")
    found = _PICK.search(text)
    return ((found.group(1) or found.group(2)).upper() if found else None), " ".join(text.split())[:300]


def choose(
    pairs: list[Pair], generator: TextGenerator, cfg: BackendConfig, max_tokens: int, seed: int,
    progress: ProgressFn | None = None,
) -> list[Choice]:  # fmt: skip
    """Both orders of every pair in one batch, at temperature 0."""
    as_json = structured(generator, cfg)
    requests = [_request(cfg, p, swapped, as_json, max_tokens, seed) for p in pairs for swapped in (False, True)]
    results = generator.generate(requests, progress)
    return [_decide(requests[2 * i : 2 * i + 2], results[2 * i : 2 * i + 2]) for i in range(len(pairs))]


def _request(
    cfg: BackendConfig, pair: Pair, swapped: bool, as_json: bool, max_tokens: int, seed: int
) -> GenerationRequest:
    a, b = (pair.second, pair.first) if swapped else (pair.first, pair.second)
    return chat_request(
        cfg,
        prompt(pair.task, a, b, pair.question, as_json),
        SYSTEM,
        CHOICE if as_json else None,
        max_tokens,
        derived_seed(seed, pair.key, "choice", swapped),
        temperature=0.0,
    )


def _decide(requests: list[GenerationRequest], results: list[Generation]) -> Choice:
    """The first order's 'A' and the swapped order's 'B' both mean the first response."""
    picks, reasons = [], []
    for order, (request, result) in enumerate(zip(requests, results, strict=True)):
        if not result.ok:
            return Choice(failure=f"call: {'swapped' if order else 'first'} order: {result.error}")
        pick, reason = parse_pick(result.text, request.output)
        if pick is None:
            return Choice(failure=f"parse: no choice of A or B in {' '.join(result.text.split())[:120]!r}")
        picks.append(pick)
        reasons.append(reason)
    first, swapped = ("first" if picks[0] == "A" else "second"), ("first" if picks[1] == "B" else "second")
    preferred: Preferred = first if first == swapped else "inconsistent"
    return Choice(preferred, tuple(picks), tuple(reasons))
