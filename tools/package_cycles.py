"""Cycles between CloserHub's top-level packages, from the import statements themselves.

    python3 tools/package_cycles.py            # prints the cycles (strongly connected packages), exit 1 if any

``lint-imports`` (``make lint``) checks the layer contracts, where entry points (views, API routes, forms)
may import any feature. This script looks at every import instead, entry points included, at module level
and inside functions, and reports which packages still reach each other in a circle.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "closerhub"


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "<root>"


def imports_by_package(root: Path) -> dict[str, set[str]]:
    """For each top-level package, the other top-level packages its modules import."""
    edges: dict[str, set[str]] = defaultdict(set)
    for path in root.rglob("*.py"):
        module = ".".join(path.relative_to(root.parent).with_suffix("").parts).removesuffix(".__init__")
        me = package_of(module)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module == "closerhub":
                    names = [f"closerhub.{alias.name}" for alias in node.names]
                elif node.module.startswith("closerhub."):
                    names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names if alias.name.startswith("closerhub.")]
            edges[me].update(package_of(name) for name in names if package_of(name) != me)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(edges.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def main() -> int:
    found = cycles(imports_by_package(ROOT))
    for component in found:
        print("cycle:", " <-> ".join(component))
    if not found:
        print("no cycle between packages")
    return 1 if found else 0


if __name__ == "__main__":
    sys.setrecursionlimit(10_000)
    raise SystemExit(main())
