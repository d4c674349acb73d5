"""The package's import graph: no cycles, and every layer imports only downwards.

Read from the source with `ast` (every import, deferred ones inside functions too), so a cycle hidden behind a
function-level import counts, and nothing is imported to find out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import copyloop

ROOT = Path(copyloop.__file__).resolve().parent
LOWER = ("agents", "tools", "graphs", "memory", "llm", "drafting", "chat_parser")  # what the workflow is made of
UPPER = ("evaluation", "training", "api", "service", "cli")  # what runs it, measures it or serves it


def module_name(path: Path) -> str:
    parts = ("copyloop", *path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the copyloop modules it imports (a name imported from a package counts as its module if one)."""
    modules = {module_name(p): p for p in ROOT.rglob("*.py")}

    def owner(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found |= {owner(f"{node.module}.{alias.name}") for alias in node.names}
            elif isinstance(node, ast.Import):
                found |= {owner(alias.name) for alias in node.names}
        graph[name] = {m for m in found if m and m.startswith("copyloop") and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def layer(module: str) -> str:
    return module.split(".")[1] if "." in module else module


def test_cycle_finder_finds_a_cycle_behind_a_chain() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"d"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph()
    assert len(graph) > 100 and "copyloop.tools.channels" in graph["copyloop.brief"]  # the graph is really read
    assert cycles(graph) == []


def test_every_layer_imports_only_downwards() -> None:
    wrong = sorted(f"{m} -> {t}" for m, targets in import_graph().items() for t in targets
                   if (layer(m) in LOWER and layer(t) in UPPER)
                   or (layer(m) == "tools" and layer(t) in ("agents", "graphs"))
                   or (layer(m) == "evaluation" and layer(t) in ("training", "api", "service", "cli"))
                   or (layer(m) == "training" and layer(t) in ("api", "service", "cli")))
    assert wrong == []
