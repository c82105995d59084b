"""Checking an answer to "what does this call return?" against the value running the call gave
(the code-grounded recipe's execution questions): the answer is read as a Python literal and
compared by value, so `[1, 2]`, `[1,2]` and `` `[1, 2]` `` are the same answer and `1.0` equals `1`.

Where the answer is: after `####` or `Answer:`, else the last code span or fence, else the last
line; the first of those that reads as a literal is the answer."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from synth_assets.verify.differential import same_output

_MARKED = re.compile(r"(?:####|answer\s*(?:is)?\s*:?)\s*(.+)$", re.IGNORECASE | re.MULTILINE)
_FENCE = re.compile(r"```(?:python|py)?\s*\n?(.*?)```", re.DOTALL)
_SPAN = re.compile(r"`([^`\n]+)`")
_RETURNS = re.compile(r"\breturns?\s+(.+)$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class OutputCheck:
    passed: bool
    extracted: str | None
    reason: str


def literal(text: str) -> tuple[bool, object]:
    try:
        return True, ast.literal_eval(text.strip().rstrip(".").strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


def candidates(response: str) -> list[str]:
    found = [m.group(1) for m in _MARKED.finditer(response)][::-1]
    found += [m.group(1) for m in _FENCE.finditer(response)][::-1]
    found += [m.group(1) for m in _SPAN.finditer(response)][::-1]
    found += [m.group(1) for m in _RETURNS.finditer(response)][::-1]
    lines = [ln.strip() for ln in response.strip().splitlines() if ln.strip()]
    return found + lines[-1:]


def check_execution_output(response: str, reference: str) -> OutputCheck:
    ok, expected = literal(reference)
    if not ok:
        return OutputCheck(False, None, f"the reference {reference[:80]!r} is not a Python literal")
    for text in candidates(response):
        readable, got = literal(text.strip("`"))
        if readable:
            shown = repr(got)[:120]
            if type(got) is type(expected) or not isinstance(expected, list | tuple | dict | set):
                matches = same_output(expected, got)
            else:  # a tuple is not the list the call returned
                matches = False
            if matches:
                return OutputCheck(True, shown, f"answered {shown}, the value running the call gave")
            return OutputCheck(False, shown, f"answered {shown}, running the call gave {reference[:120]}")
    return OutputCheck(False, None, "no Python value found in the answer")
