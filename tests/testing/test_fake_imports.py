"""The testing package's shape: a one-way import graph, one export list, its own names."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import httpx

import velstack_async
import velstack_async.testing as testing

PACKAGE = "velstack_async.testing"
ROOT = Path(testing.__file__).parent
#: The fake's state and `FakeService.handle`, and what they are made of.
CORE = {
    "_faults",
    "_handlers",
    "_log",
    "_numbers",
    "_records",
    "_responses",
    "_service",
    "_state",
    "_validation",
}
ADAPTERS = {"_asgi", "_server", "_transports"}


def _module(path: Path) -> str:
    return "__init__" if path.name == "__init__.py" else path.stem


def _target(node: ast.Import | ast.ImportFrom, alias: ast.alias) -> str | None:
    """The module of this package an import names, or None for one outside it."""
    if isinstance(node, ast.Import):
        name = alias.name
    elif node.level == 1:  # from . import x / from ._x import y
        name = f"{PACKAGE}.{node.module}" if node.module else f"{PACKAGE}.{alias.name}"
    elif node.level > 1:
        return None  # the SDK around the package
    else:
        name = node.module or ""
        if name == PACKAGE:
            name = f"{PACKAGE}.{alias.name}"
    if name == PACKAGE:
        return "__init__"
    if name.startswith(PACKAGE + "."):
        return name[len(PACKAGE) + 1 :].split(".")[0]
    return None


def import_graph(root: Path) -> dict[str, set[str]]:
    """Every import between the package's modules, wherever it is written.

    Imports under ``if TYPE_CHECKING:`` and inside functions count too: the
    graph must be acyclic without either trick.
    """
    graph: dict[str, set[str]] = {}
    for path in sorted(root.glob("*.py")):
        edges = graph.setdefault(_module(path), set())
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import | ast.ImportFrom):
                edges.update(t for a in node.names if (t := _target(node, a)) is not None)
    return graph


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in graph[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def test_the_import_graph_has_no_cycle() -> None:
    graph = import_graph(ROOT)
    assert set(graph) >= CORE | ADAPTERS | {"__init__", "__main__", "_fake", "pytest_plugin"}
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError on a cycle


def test_the_check_finds_cycles_however_they_are_hidden(tmp_path: Path) -> None:
    (tmp_path / "_a.py").write_text("from ._b import B\nA = 1\n")
    (tmp_path / "_b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ._c import C\nB = 1\n"
    )
    (tmp_path / "_c.py").write_text(
        "def late():\n    from velstack_async.testing import _a\n    return _a\n"
    )
    graph = import_graph(tmp_path)
    assert graph == {"_a": {"_b"}, "_b": {"_c"}, "_c": {"_a"}}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError:
        pass
    else:  # pragma: no cover - the assertion that matters
        raise AssertionError("a cycle went unnoticed")


def test_the_core_imports_no_adapter_and_adapters_only_the_core() -> None:
    graph = import_graph(ROOT)
    for module in CORE:
        assert _reachable(graph, module) <= CORE, module
    for module in ADAPTERS:
        assert _reachable(graph, module) <= CORE | ADAPTERS, module
    assert "_service" in _reachable(graph, "_transports")


def test_the_core_serves_without_the_fake_class_and_adapters_take_it() -> None:
    core = testing.FakeService(api_key="core")
    response = core.handle("GET", "/api/group", {"Authorization": "Bearer core"})
    assert (response.status, response.json()["message"]) == (200, "Showing all groups")
    transport = testing.AsyncFakeTransport(core)
    assert transport.fake is core
    with httpx.Client(transport=testing.SyncFakeTransport(core), base_url="http://x") as api:
        assert api.get("/api/group", headers={"Authorization": "Bearer core"}).status_code == 200
    assert isinstance(testing.FakeVelstack(), testing.FakeService)


def test_no_type_checking_blocks_in_the_package() -> None:
    for path in ROOT.glob("*.py"):
        assert "TYPE_CHECKING" not in path.read_text(), path.name


def test_one_export_list() -> None:
    """``__init__`` imports each public name once, and ``__all__`` lists exactly those."""
    tree = ast.parse((ROOT / "__init__.py").read_text())
    imported = [
        alias.asname or alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module != "__future__"
        for alias in node.names
    ]
    assert sorted(imported) == sorted(testing.__all__)
    assert len(set(testing.__all__)) == len(testing.__all__)
    assert not any(isinstance(node, ast.FunctionDef) for node in tree.body)  # no __getattr__
    for name in testing.__all__:
        assert getattr(testing, name) is not None


def test_no_record_type_shadows_a_public_model_name() -> None:
    assert set(testing.__all__).isdisjoint(velstack_async.__all__)
    assert {"FakeContact", "FakeGroup", "FakeSenderId"} <= set(testing.__all__)
    for name in ("Contact", "Group", "SenderId"):
        assert not hasattr(testing, name)
