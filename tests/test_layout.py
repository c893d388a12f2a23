"""The house's layout holds (DESIGN.md, "Layout" and "The store"): hub/ holds its rooms and little else, no
module builds a `pyoxigraph.Store` outside hub/store, and no import circle runs through hub/ or harvesters/.
`make lint` checks the layering itself (import-linter, the contracts in pyproject.toml); these are the rules an
import contract cannot see (a call) or that the tests keep close at hand."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# `locale` (issue 22): the gettext catalogs and their reader, below every room (the pages use it too).
ROOMS = {"core", "archive", "store", "sparql", "charter", "pipeline", "gateway", "pages", "locale"}


def modules(*packages: str) -> Iterator[tuple[str, Path]]:
    """(dotted name, path) of every module of the packages."""
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


# ---------------------------------------------------------------- hub/ holds its rooms


def test_hub_holds_only_its_entry_points_and_its_rooms() -> None:
    hub = ROOT / "hub"
    files = {p.name for p in hub.iterdir() if p.is_file()}
    folders = {p.name for p in hub.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert files - {"__init__.py", "__main__.py"} == {"cli.py"}
    assert folders == ROOMS
    for room in folders:
        init = hub / room / "__init__.py"
        assert init.is_file(), f"hub/{room} is not a package"
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert docstring and len(docstring) > 40, f"hub/{room}/__init__.py must say what the room holds"


# ---------------------------------------------------------------- only the store package builds a Store


def store_references(source: str) -> list[int]:
    """The lines of `source` that name `pyoxigraph.Store`, however it was imported: `from pyoxigraph import
    Store [as X]` (or `*`), `pyoxigraph.Store` through any alias of the module, `getattr(<alias>, "Store")`."""
    tree = ast.parse(source)
    aliases = {"pyoxigraph"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases |= {alias.asname or alias.name for alias in node.names if alias.name == "pyoxigraph"}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "pyoxigraph" \
                and any(alias.name in ("Store", "*") for alias in node.names):
            found.append(node.lineno)
        elif isinstance(node, ast.Attribute) and node.attr == "Store" \
                and isinstance(node.value, ast.Name) and node.value.id in aliases:
            found.append(node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
                and len(node.args) >= 2 and isinstance(node.args[0], ast.Name) and node.args[0].id in aliases \
                and isinstance(node.args[1], ast.Constant) and node.args[1].value == "Store":
            found.append(node.lineno)
    return found


@pytest.mark.parametrize("source", [
    "from pyoxigraph import Store\nStore()",
    "from pyoxigraph import NamedNode, Store as Kept\n",
    "from pyoxigraph import *\n",
    "import pyoxigraph\npyoxigraph.Store()",
    "import pyoxigraph as ox\nstore = ox.Store(path)",
    "def f():\n    import pyoxigraph as ox\n    return ox.Store.read_only('x')",
    "import pyoxigraph as ox\nmaker = getattr(ox, 'Store')",
])
def test_the_check_sees_a_store_however_it_is_imported(source: str) -> None:
    assert store_references(source)


@pytest.mark.parametrize("source", [
    "from pyoxigraph import NamedNode, Quad, RdfFormat, parse\n",
    "import pyoxigraph\npyoxigraph.parse(b'', format=pyoxigraph.RdfFormat.TURTLE)",
    "from hub.store.embedded import MemoryStore\nMemoryStore()",
    "Store = 1\nStore + 1",  # a name of its own, not pyoxigraph's
])
def test_the_check_lets_the_rest_of_pyoxigraph_be(source: str) -> None:
    assert store_references(source) == []


def test_only_the_store_package_builds_a_pyoxigraph_store() -> None:
    offenders = {}
    for name, path in modules("hub", "harvesters"):
        if name == "hub.store" or name.startswith("hub.store."):
            continue
        lines = store_references(path.read_text(encoding="utf-8"))
        if lines:
            offenders[str(path.relative_to(ROOT))] = lines
    assert offenders == {}, "build stores through hub/store (MemoryStore, WorkingStore, ReadOnlyStore)"
    # …and the store package does build them: the check looks where they are.
    assert store_references((ROOT / "hub/store/embedded.py").read_text(encoding="utf-8"))


# ---------------------------------------------------------------- no import circle


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of `known` that the module imports, at any level (a function's import too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from package import module` imports the module; `from module import name` the module.
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def test_the_circle_finder_finds_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_in_hub_or_harvesters() -> None:
    found = dict(modules("hub", "harvesters"))
    known = set(found)
    edges = {name: imported_modules(name, path, known) - {name} for name, path in found.items()}
    # A package's __init__ and its modules are one thing; the edges between modules are what can circle.
    edges = {name: {other for other in targets if not name.startswith(other + ".")} for name, targets in edges.items()}
    assert "hub.pipeline.canonical" in edges["hub.pipeline.split"]  # the walk sees imports
    assert circles(edges) == []
