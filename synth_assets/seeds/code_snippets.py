"""Real, human-written code to ask questions about: functions of the Python standard library of the
interpreter that runs the pipeline (on every machine, no download), each with its file and line.

Only pure-Python modules whose functions compute from their arguments are read (text, numbers,
paths as strings, sequences), and only short public functions, so that a question about one fits
a prompt and a call to one can be run in the sandbox to learn what it returns.
"""

from __future__ import annotations

import ast
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

MODULES = (
    "bisect",
    "calendar",
    "colorsys",
    "difflib",
    "fnmatch",
    "heapq",
    "html",
    "posixpath",
    "shlex",
    "statistics",
    "string",
    "textwrap",
)
MAX_LINES = 30


@dataclass(frozen=True)
class Snippet:
    module: str
    function: str
    file: str  # relative to the standard library's directory
    line: int
    source: str

    @property
    def id(self) -> str:
        return f"{self.module}.{self.function}"


def stdlib_dir() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def load_snippets(root: Path | None = None, modules: tuple[str, ...] = MODULES) -> list[Snippet]:
    """Public top-level functions of at most MAX_LINES lines that take arguments, in file order."""
    root = root or stdlib_dir()
    out: list[Snippet] = []
    for module in modules:
        path = root / f"{module.replace('.', '/')}.py"
        if not path.is_file():
            path = root / module / "__init__.py"
        text = path.read_text(encoding="utf-8")
        for node in ast.parse(text).body:
            if _wanted(node):
                source = ast.get_source_segment(text, node)
                if source:
                    out.append(Snippet(module, node.name, str(path.relative_to(root)), node.lineno, source))
    return out


def _wanted(node: ast.stmt) -> bool:
    if not isinstance(node, ast.FunctionDef) or node.name.startswith("_") or node.decorator_list:
        return False
    lines = (node.end_lineno or node.lineno) - node.lineno + 1
    return lines <= MAX_LINES and bool(node.args.args or node.args.posonlyargs)
