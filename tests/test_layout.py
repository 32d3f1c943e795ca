"""The package's layout rules (issue 12): no module over 400 lines, no import cycle.

Every ``.py`` file under ``velstack_async/`` counts, the generated ``_sync/``
facade included. The import graph is read with ``ast`` from the source, not
from ``sys.modules``: every import statement anywhere in a module counts, at
module level, under ``if TYPE_CHECKING:``, inside functions, and constant
``importlib.import_module("...")`` calls, with relative imports resolved. An
import names the most specific module it loads (``from pkg import sub`` is an
edge to ``pkg.sub`` when that is a module, else to ``pkg``); the parent
packages Python initialises on the way are not edges, as every submodule
would otherwise form a cycle with its own ``__init__``.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

import velstack_async

PACKAGE = Path(velstack_async.__file__).resolve().parent
MAX_LINES = 400


@attrs.frozen
class Import:
    """One import of a package module by another: where it is, and how it is guarded."""

    source: str
    target: str
    line: int
    how: str  # "module level", "TYPE_CHECKING" or "in a function"

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} (line {self.line}, {self.how})"


def modules(root: Path) -> dict[str, Path]:
    """Every module of the package at ``root``, by dotted name (a package by its own name)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _statements(tree: ast.Module) -> Iterator[tuple[ast.AST, str]]:
    """Every node of ``tree`` with how it is reached: module level, TYPE_CHECKING, function."""
    stack: list[tuple[ast.AST, str]] = [(tree, "module level")]
    while stack:
        node, how = stack.pop()
        yield node, how
        for child in ast.iter_child_nodes(node):
            inner = how
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                inner = "in a function"
            elif (
                isinstance(node, ast.If)
                and _is_type_checking(node.test)
                and child in node.body
                and how == "module level"
            ):
                inner = "TYPE_CHECKING"
            stack.append((child, inner))


def imports(name: str, path: Path, known: dict[str, Path]) -> list[Import]:
    """The imports of package modules (``known``) in module ``name`` at ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []

    def add(target: str, node: ast.stmt | ast.expr, how: str) -> None:
        # The most specific package module that ``target`` names (a.b.C -> a.b).
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.append(Import(name, target, node.lineno, how))

    for node, how in _statements(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node, how)
        elif isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                add(submodule if submodule in known else base, node, how)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            add(node.args[0].value, node, how)
    return found


def import_graph(root: Path) -> dict[str, list[Import]]:
    """Each module of the package at ``root`` with the package imports it makes."""
    known = modules(root)
    return {name: imports(name, path, known) for name, path in known.items()}


def cycles(graph: dict[str, list[Import]]) -> list[list[str]]:
    """The import cycles: each strongly connected component of two or more modules, sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's algorithm; the package is a few levels deep
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for edge in graph.get(module, []):
            if edge.target not in index:
                visit(edge.target)
                low[module] = min(low[module], low[edge.target])
            elif edge.target in on_stack:
                low[module] = min(low[module], index[edge.target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(components)


def describe(graph: dict[str, list[Import]], component: list[str]) -> str:
    """A cycle's modules and the imports that hold it together."""
    members = set(component)
    edges = dict.fromkeys(str(e) for m in component for e in graph[m] if e.target in members)
    return "cycle: " + ", ".join(component) + "\n    " + "\n    ".join(edges)


# -- the rules, on velstack_async ------------------------------------------------------


def test_the_package_is_found_whole() -> None:
    found = modules(PACKAGE)
    for expected in ("velstack_async", "velstack_async._client", "velstack_async._sync.sms"):
        assert expected in found
    assert len(found) > 40


def test_no_module_is_over_400_lines() -> None:
    long = {
        name: count
        for name, path in modules(PACKAGE).items()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_no_import_cycle_in_the_package() -> None:
    graph = import_graph(PACKAGE)
    assert sum(len(edges) for edges in graph.values()) > 50  # the graph was really read
    found = cycles(graph)
    assert not found, "\n".join(describe(graph, component) for component in found)


# -- the checker itself, on packages made for the purpose ------------------------------


def _package(root: Path, files: dict[str, str]) -> Path:
    package = root / "pkg"
    for relative, text in files.items():
        path = package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return package


@pytest.mark.parametrize(
    ("a", "b", "how"),
    [
        pytest.param("from .b import B\n", "from .a import A\n", "module level", id="relative"),
        pytest.param(
            "import pkg.b\n",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import A\n",
            "TYPE_CHECKING",
            id="type-checking",
        ),
        pytest.param(
            "from pkg import b\n",
            "def f():\n    from . import a\n    return a\n",
            "in a function",
            id="function-level",
        ),
        pytest.param(
            "from .b import B\n",
            "import importlib\ndef f():\n    return importlib.import_module('pkg.a')\n",
            "in a function",
            id="import-module",
        ),
    ],
)
def test_a_cycle_is_found_however_it_is_imported(tmp_path: Path, a: str, b: str, how: str) -> None:
    graph = import_graph(_package(tmp_path, {"__init__.py": "", "a.py": a, "b.py": b}))
    assert cycles(graph) == [["pkg.a", "pkg.b"]]
    assert [e.how for e in graph["pkg.b"]] == [how]


def test_a_cycle_through_a_subpackage_names_its_modules(tmp_path: Path) -> None:
    files = {
        "__init__.py": "from .sub.x import X\n",
        "sub/__init__.py": "",
        "sub/x.py": "from ..y import Y\nX = 1\n",
        "y.py": "from .sub import x\nY = 2\n",
        "z.py": "import pkg.sub.x\n",  # not part of the cycle
    }
    graph = import_graph(_package(tmp_path, files))
    assert cycles(graph) == [["pkg.sub.x", "pkg.y"]]
    message = describe(graph, cycles(graph)[0])
    assert "pkg.y -> pkg.sub.x (line 1, module level)" in message


def test_an_acyclic_package_passes_and_parents_are_not_edges(tmp_path: Path) -> None:
    files = {
        "__init__.py": "from .a import A\nfrom .b import B\n",
        "a.py": "from .b import helper\nA = 1\n",
        "b.py": "import json\nimport pkg\nfrom pkg.c import C\nB = 2\ndef helper(): ...\n",
        "c.py": "C = 3\n",
    }
    graph = import_graph(_package(tmp_path, files))
    # b imports the package itself, whose __init__ imports a and b: that is a cycle.
    assert cycles(graph) == [["pkg", "pkg.a", "pkg.b"]]
    del files["b.py"]
    files["b.py"] = "import json\nfrom pkg.c import C\nB = 2\ndef helper(): ...\n"
    graph = import_graph(_package(tmp_path, files))
    assert cycles(graph) == []
    assert {e.target for e in graph["pkg.a"]} == {"pkg.b"}  # not pkg, a's parent
