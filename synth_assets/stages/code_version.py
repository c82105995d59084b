"""Which source decides a stage's rows: its module and, transitively, the modules it imports
from the packages that hold pipeline logic (generation prompts, verifiers, filters, regimes,
embedding, shared row code). An edit to the funnel then marks `filtered_set`'s partitions as
built by other code, which an edit to the stage module alone used to be needed for.

Transport and plumbing (the LLM clients, storage, resources, the Dagster wiring) and the config
models are left out: they change how rows are fetched or stored, not which rows come out, and
including them would flag every stage on nearly every edit. Config values are hashed apart.
"""

from __future__ import annotations

import ast
import importlib.util
from functools import lru_cache
from pathlib import Path

LOGIC = ("core", "generate", "verify", "filters", "mix", "embed", "stages")
PLUMBING = ("synth_assets.stages.spec", "synth_assets.stages.code_version", "synth_assets.stages.registry")


def _decides_rows(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "synth_assets" and len(parts) > 1 and parts[1] in LOGIC and module not in PLUMBING


def _path(module: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, AttributeError, ValueError):  # `from a.b import name`: a.b.name is no module
        return None
    return Path(spec.origin) if spec and spec.origin and spec.origin.endswith(".py") else None


@lru_cache(maxsize=256)
def imported_modules(module: str, path: Path) -> frozenset[str]:
    """Modules named by import statements anywhere in the file (imports inside functions too);
    for `from pkg import name`, `pkg.name` too, in case `name` is a module. The package-graph
    test reads the same."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}  # `from pkg import module`
    return frozenset(found)


@lru_cache(maxsize=64)
def logic_modules(module: str) -> tuple[str, ...]:
    """`module` and every logic module it reaches by imports, sorted."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        path = _path(name) if name not in seen else None
        if path is None:
            continue
        seen.add(name)
        todo.extend(m for m in imported_modules(name, path) if _decides_rows(m) and m not in seen)
    return tuple(sorted(seen))


def sources(module: str) -> list[str]:
    return [p.read_text(encoding="utf-8") for m in logic_modules(module) if (p := _path(m))]
