"""The tools an agent is given, and running one call: a result text for the model, whether it
was an error (a bad argument, an exception, a limit) and whether it must end the trajectory (a
sandbox limit: code that loops, floods or exhausts memory makes no training data)."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from synth_assets.generate.agent.calculator import CalculatorError, calculate
from synth_assets.generate.agent.python_tool import run_python
from synth_assets.llm.tools import ToolCall, ToolSpec
from synth_assets.verify.sandbox import SandboxPolicy

RESULT_CHARS = 1500  # of a result fed back to the model

CALCULATOR = ToolSpec.of(
    "calculator",
    "Evaluate an arithmetic expression exactly (numbers, + - * / // % ** and parentheses).",
    {"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"],
     "additionalProperties": False},
)  # fmt: skip
PYTHON = ToolSpec.of(
    "python",
    "Run a short Python program and see what it prints. Print the values you need.",
    {"type": "object", "properties": {"code": {"type": "string"}}, "required": ["code"],
     "additionalProperties": False},
)  # fmt: skip
TOOLS = {t.name: t for t in (CALCULATOR, PYTHON)}


@dataclass(frozen=True)
class ToolResult:
    text: str
    error: bool = False
    fatal: str | None = None  # why the trajectory ends here


def run_calls(calls: Sequence[ToolCall], policy: SandboxPolicy) -> list[ToolResult]:
    """Every call of a step; Python calls side by side, one sandbox per core."""
    with ThreadPoolExecutor(max(1, min(len(calls), 4))) as pool:
        return list(pool.map(lambda c: run_call(c, policy), calls))


def run_call(call: ToolCall, policy: SandboxPolicy) -> ToolResult:
    args = call.parsed()
    if call.name not in TOOLS:
        return ToolResult(f"Error: there is no tool named {call.name!r}; use one of {', '.join(TOOLS)}", True)
    key = "expression" if call.name == "calculator" else "code"
    if args is None or not isinstance(args.get(key), str):
        return ToolResult(f"Error: {call.name} takes {{{key!r}: <text>}}, got {call.arguments[:200]!r}", True)
    if call.name == "calculator":
        try:
            return ToolResult(calculate(args[key]))
        except CalculatorError as exc:
            return ToolResult(f"Error: {exc}", True)
    ran = run_python(args[key], policy)
    if ran.limit:
        return ToolResult(f"Error: {ran.error}", True, fatal=f"tool: python hit a sandbox limit: {ran.error}")
    text = ran.output if ran.error is None else f"{ran.output}\nError: {ran.error}".strip()
    return ToolResult(_cut(text) or "(printed nothing)", ran.error is not None)


def _cut(text: str) -> str:
    return (
        text
        if len(text) <= RESULT_CHARS
        else f"{text[:RESULT_CHARS]}\n[cut: {len(text) - RESULT_CHARS} more characters]"
    )
