"""The shape of the package, read from its import statements (including imports inside
functions, which are dependencies all the same): subpackages form no cycle, the shared
building blocks in `core` depend on nothing else of ours, and the product never imports the
test support code."""

from collections import defaultdict
from pathlib import Path

import synth_assets
from synth_assets.stages.code_version import imported_modules

PACKAGE = Path(synth_assets.__file__).parent


def _unit(module: str) -> str | None:
    """A subpackage, or a top-level module of its own; None for anything not ours."""
    parts = module.split(".")
    if parts[0] != "synth_assets" or len(parts) < 2:
        return None
    return parts[1] if (PACKAGE / parts[1]).is_dir() else f"{parts[1]}.py"


def _module(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")


def _imports(path: Path) -> frozenset[str]:
    """The product's own reading of import statements (`stages.code_version`)."""
    return imported_modules(_module(path), path)


def _graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        source = _unit(_module(path)) or "__init__.py"
        for target in filter(None, map(_unit, _imports(path))):
            if target != source:
                edges[source].add(target)
    return edges


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_subpackage_graph_is_acyclic() -> None:
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_core_is_a_leaf() -> None:
    assert _graph().get("core", set()) == set()


def test_the_product_never_imports_test_support() -> None:
    offenders = [
        str(p.relative_to(PACKAGE.parent))
        for p in PACKAGE.rglob("*.py")
        if any(m.split(".")[0] == "synth_assets_tests" for m in _imports(p))
    ]
    assert offenders == []


def test_the_graph_reader_sees_a_cycle_when_there_is_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
    assert "llm" in _graph()["verify"]  # a real edge is read (the judge calls a model)
