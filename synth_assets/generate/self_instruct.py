"""Self-Instruct task generation (Wang et al., 2022): show numbered in-context tasks, let the
model continue the list, parse the new items.

The prompt is the reference implementation's raw-text format ("Come up with a series of
tasks:"), which small instruct models continue far more faithfully than a chat request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from synth_assets.llm.base import Generation, GenerationRequest

HEADERS = {
    "general": "Come up with a series of tasks:",
    "math": "Come up with a series of grade-school math word problems, each with a numeric answer:",
}
_ITEM = re.compile(r"^\s*(\d{1,3})\s*[.)]\s*(.*)$")


@dataclass(frozen=True)
class InContextExample:
    id: str
    instruction: str


def build_prompt(family: str, examples: list[InContextExample]) -> str:
    lines = [HEADERS[family], ""]
    lines += [f"{i}. {_one_line(e.instruction)}" for i, e in enumerate(examples, start=1)]
    lines.append(f"{len(examples) + 1}.")
    return "\n".join(lines)


def build_request(
    family: str, examples: list[InContextExample], max_tokens: int, temperature: float, top_p: float, seed: int
) -> GenerationRequest:
    return GenerationRequest(
        prompt=build_prompt(family, examples),
        mode="continue",
        max_tokens=max_tokens,
        temperature=temperature,
        top_p=top_p,
        seed=seed,
        stop=("\n\n",),
    )


def parse_continuation(result: Generation, first_number: int) -> list[str]:
    """Items numbered first_number, first_number+1, ... in order; stop at the first break in
    numbering. A truncated last item is dropped, as in the reference implementation."""
    text = f"{first_number}. " + result.text.lstrip(" \t")
    items: list[str] = []
    expected = first_number
    for line in text.splitlines():
        match = _ITEM.match(line)
        if not match:
            if items:
                break
            continue
        if int(match.group(1)) != expected:
            break
        items.append(match.group(2).strip())
        expected += 1
    if result.finish_reason == "length" and items:
        items.pop()
    return [item for item in items if item]


def _one_line(text: str) -> str:
    return " ".join(text.split())
