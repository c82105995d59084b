"""Self-Instruct task generation (Wang et al., 2022): show numbered in-context tasks, let the
model continue the list, parse the new items.

Free text: the reference implementation's raw-text format ("Come up with a series of tasks:"),
which small instruct models continue far more faithfully than a chat request. Structured: the
pool tasks shown as the JSON the answer must be (`{"tasks": [...]}`), the new ones asked for in
that form; the schema caps the list, so nothing needs cutting or renumbering.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from synth_assets.llm.base import Generation, GenerationRequest
from synth_assets.llm.structured import OutputSchema, fields, string_list

HEADERS = {
    "general": "Come up with a series of tasks:",
    "math": "Come up with a series of grade-school math word problems, each with a numeric answer:",
}
_ITEM = re.compile(r"^\s*(\d{1,3})\s*[.)]\s*(.*)$")
_NUMBERED = re.compile(r"^\s*\d{1,3}\s*[.)]\s+")
ITEMS_PER_CALL = 4
NEW_TASKS = string_list("new_tasks", "tasks", ITEMS_PER_CALL, longest=300)
JSON_SYSTEM = "You write new tasks for an AI assistant, as JSON."


@dataclass(frozen=True)
class InContextExample:
    id: str
    instruction: str


def build_prompt(family: str, examples: list[InContextExample]) -> str:
    lines = [HEADERS[family], ""]
    lines += [f"{i}. {_one_line(e.instruction)}" for i, e in enumerate(examples, start=1)]
    lines.append(f"{len(examples) + 1}.")
    return "\n".join(lines)


CHAT_SYSTEM = (
    "You extend numbered lists. Reply with the next items of the user's list only, one per line, "
    "numbered from where the list stops, with no other text."
)


def build_request(
    family: str, examples: list[InContextExample], max_tokens: int, temperature: float, top_p: float, seed: int
) -> GenerationRequest:
    """Raw-text continuation for models that can; chat-only APIs get CHAT_SYSTEM with it."""
    return GenerationRequest(
        prompt=build_prompt(family, examples),
        system=CHAT_SYSTEM,
        mode="continue",
        max_tokens=max_tokens,
        temperature=temperature,
        top_p=top_p,
        seed=seed,
        stop=("\n\n",),
    )


def json_prompt(header: str, instructions: list[str], wanted: int = ITEMS_PER_CALL) -> str:
    """Examples in the answer's own JSON form: small models copy a form they have just seen."""
    shown = json.dumps({"tasks": [_one_line(i) for i in instructions]}, ensure_ascii=False)
    return f"{header}\n{shown}\nWrite {wanted} new tasks on other topics, in the same JSON form."


def parse_items(request: GenerationRequest, result: Generation, first_number: int, raw: bool) -> list[str]:
    """New tasks from either kind of answer: a structured request's JSON, or a numbered list."""
    if not result.ok:
        return []
    if request.output is not None:
        return parse_json_items(result.text, request.output)
    return parse_continuation(result, first_number, raw)


def parse_json_items(text: str, output: OutputSchema, key: str = "tasks") -> list[str]:
    """The list's strings, without a number a model may have put in front (`"1. Write ..."`)."""
    value = fields(text, output)
    items = value[key] if value else []
    return [stripped for item in items if (stripped := _NUMBERED.sub("", _one_line(item)))]


def parse_continuation(result: Generation, first_number: int, raw: bool = True) -> list[str]:
    """Items numbered first_number, first_number+1, ... in order; stop at the first break in
    numbering. A truncated last item is dropped, as in the reference implementation. A raw
    continuation starts after the open number; a chat reply must write it out (else a refusal
    such as "I'm sorry, I can't" would become a task), though a raw one may repeat it too."""
    body = result.text.lstrip(" \t")
    echoed = _ITEM.match(body.lstrip("\n").split("\n", 1)[0])
    if echoed and int(echoed.group(1)) == first_number:
        text = body.lstrip("\n")
    elif raw:
        text = f"{first_number}. " + body
    else:
        return []
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
