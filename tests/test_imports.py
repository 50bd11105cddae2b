"""The package's parts import one another without a cycle.

A cycle between two parts (``fit`` running the ``pipeline`` that runs the fit) forces
deferred imports and means neither can be read, tested or reused alone. Imports inside
functions count: deferring an import hides a cycle, it does not remove it.
"""

import ast
from pathlib import Path

import astrocalc

ROOT = Path(astrocalc.__file__).parent


def _part(module: list[str]) -> str | None:
    """The top-level part (subpackage or module) of a dotted astrocalc module path."""
    return module[1] if len(module) > 1 and module[0] == "astrocalc" else None


def import_graph() -> dict[str, set[str]]:
    """Part -> the other parts it imports, anywhere in its files."""
    graph: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        module = ["astrocalc", *path.relative_to(ROOT).with_suffix("").parts]
        package = module[:-1]  # what a relative import starts from, for __init__ too
        source = _part(module[:-1] if module[-1] == "__init__" else module)
        if source is None:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package[: len(package) - node.level + 1]
                if node.module:
                    targets = [base + node.module.split(".")]
                else:
                    targets = [base + [alias.name] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module.split(".")]
            elif isinstance(node, ast.Import):
                targets = [alias.name.split(".") for alias in node.names]
            for target in targets:
                part = _part(target)
                is_part = part and ((ROOT / part).is_dir() or (ROOT / f"{part}.py").exists())
                if is_part and part != source:
                    graph.setdefault(source, set()).add(part)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of nodes (first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}}) is None


def test_no_import_cycle_between_the_packages_parts():
    graph = import_graph()
    assert {"events", "segment", "fit"} <= set(graph["pipeline"])  # the graph is read
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)
