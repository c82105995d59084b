"""The `python` tool: the model's code run in the code sandbox (its own namespaces, CPU, memory,
process and output limits), what it prints coming back as the tool's result. The code runs in
the candidate process; only the printed text, as plain data, leaves it, and that text is only
shown to the model: it never decides a verdict."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from synth_assets.verify.sandbox import SandboxLimits, SandboxPolicy, evaluate

LIMITS = SandboxLimits(wall_s=5.0, cpu_s=2, memory_mb=256)
OUTPUT_CHARS = 2000  # of what the code prints, the end kept (tracebacks and results are at the end)
ENTRY = "__tool__"
# As in a notebook, the value of a last bare expression is shown (`4 * 11` prints 44).
_PROGRAM = """
import ast, contextlib, io


def _run(code, namespace):
    tree = ast.parse(code, "<tool>")
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<tool>", "exec"), namespace)
    if last is not None:
        value = eval(compile(ast.Expression(last.value), "<tool>", "eval"), namespace)
        if value is not None:
            print(repr(value))


def {entry}():
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            _run({code!r}, {{"__name__": "__main__"}})
    except BaseException as exc:
        return ["raised", out.getvalue()[-{cap}:], f"{{type(exc).__name__}}: {{exc}}"[:500]]
    return ["ok", out.getvalue()[-{cap}:], ""]
"""


@dataclass(frozen=True)
class PythonResult:
    output: str
    error: str | None  # the exception it raised, or the sandbox limit it hit
    limit: bool = False  # a sandbox limit (time, memory, flood, no sandbox): the trajectory ends


def run_python(code: str, policy: SandboxPolicy | None = None) -> PythonResult:
    outcome = evaluate(_PROGRAM.format(entry=ENTRY, code=code, cap=OUTPUT_CHARS), ENTRY, LIMITS, policy)
    if outcome.value is None:
        return PythonResult("", f"{outcome.status}: {outcome.reason}"[:500], limit=True)
    status, printed, error = ast.literal_eval(outcome.value)
    return PythonResult(printed, error or None) if status == "raised" else PythonResult(printed, None)
