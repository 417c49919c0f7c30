"""The architecture, read from the source: no import cycles, and arrows point down only.

The import graph of ``cme_desktop`` comes from the AST of every module, so it holds
every ``import`` and ``from`` statement wherever it stands: at module level, inside a
function, under ``if TYPE_CHECKING:``. ``from package import name`` is an edge to the
submodule when ``name`` is one, and ``import a.b.c`` an edge to ``a.b.c``. Edges into a
package ``__init__`` that holds nothing but a docstring are left out: such a module
imports nothing, so it can close no cycle.
"""

from __future__ import annotations

import ast
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "cme_desktop"
QT = ("PySide6", "shiboken6")
HEADLESS = ("cme_desktop.models", "cme_desktop.services", "cme_desktop.cli")
#: What each layer may not import: ui -> services -> models, and the command line and the
#: composition root sit on top.
BELOW = {
    "cme_desktop.models": ("cme_desktop.services", "cme_desktop.ui", "cme_desktop.cli"),
    "cme_desktop.services": ("cme_desktop.ui", "cme_desktop.cli"),
}
ON_TOP = ("cme_desktop.app", "cme_desktop.__main__")
#: The one import by name allowed: the PEP 562 loader of ``models`` loads its submodules on
#: first use, so that code needing only the vocabularies does not pay for SQLAlchemy. The
#: modules it loads are imported under ``TYPE_CHECKING`` there too, so the graph has them.
LAZY_LOADER = ("cme_desktop.models", "__getattr__")


@dataclass(frozen=True)
class Import:
    source: str
    target: str  # "" for an import by a computed name
    where: str  # file:line
    function: str = ""  # the function the statement stands in, if any


@dataclass
class Graph:
    root: Path
    modules: dict[str, Path]
    #: Every import statement, of the package's own modules and of others.
    imports: list[Import] = field(default_factory=list)
    #: Every ``__import__(...)`` and ``importlib.import_module(...)``.
    by_name: list[Import] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.root.name

    def empty_packages(self) -> set[str]:
        return {
            name
            for name, path in self.modules.items()
            if path.name == "__init__.py"
            and all(
                isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
                for s in ast.parse(path.read_text(encoding="utf-8")).body
            )
        }

    def edges(self) -> dict[str, dict[str, Import]]:
        """Module -> imported module -> the first import that makes the edge."""
        empty = self.empty_packages()
        out: dict[str, dict[str, Import]] = {name: {} for name in self.modules}
        for imp in self.imports + self.by_name:
            if imp.target in self.modules and imp.target not in empty:
                out[imp.source].setdefault(imp.target, imp)
        return out


class _Reader(ast.NodeVisitor):
    """Collects the imports of one module, noting the function each stands in."""

    def __init__(self, graph: Graph, module: str, path: Path) -> None:
        self.graph = graph
        self.module = module
        self.file = path.relative_to(graph.root.parent).as_posix()
        self.package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        self.functions: list[str] = []

    def _ours(self, name: str) -> str:
        # The longest prefix that is one of our modules, so that a path to something
        # that does not exist still shows as an edge to what does.
        if name.split(".")[0] != self.graph.name:
            return name
        while name and name not in self.graph.modules:
            name = name.rpartition(".")[0]
        return name

    def _add(self, target: str, node: ast.stmt | ast.expr, *, by_name: bool = False) -> None:
        function = self.functions[-1] if self.functions else ""
        imp = Import(self.module, target, f"{self.file}:{node.lineno}", function)
        (self.graph.by_name if by_name else self.graph.imports).append(imp)

    def _in_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.functions.append(node.name)
        self.generic_visit(node)
        self.functions.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._in_function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._in_function(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(self._ours(alias.name), node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            parts = self.package.split(".")
            base = ".".join([*parts[: len(parts) - node.level + 1], *base.split(".")]).strip(".")
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            self._add(submodule if submodule in self.graph.modules else self._ours(base), node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name in ("__import__", "import_module"):
            arg = node.args[0] if node.args else next((k.value for k in node.keywords), None)
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                self._add(self._ours(arg.value), node, by_name=True)
            else:
                self._add("", node, by_name=True)
        self.generic_visit(node)


def read_graph(root: Path) -> Graph:
    """The import graph of the package in the folder ``root``."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = Graph(root, modules)
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        _Reader(graph, module, path).visit(tree)
    return graph


def _within(name: str, packages: tuple[str, ...] | str) -> bool:
    packages = (packages,) if isinstance(packages, str) else packages
    return any(name == p or name.startswith(p + ".") for p in packages)


def _strongly_connected(edges: dict[str, dict[str, Import]]) -> list[list[str]]:
    """Tarjan's algorithm: the groups of modules that import each other, round and round."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in edges[v]:
                groups.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(groups)


def _chain(
    edges: dict[str, dict[str, Import]],
    start: str,
    goals: set[str],
    keep: set[str] | None = None,
) -> list[str] | None:
    """The shortest import chain from ``start`` to one of ``goals`` (through ``keep`` only)."""
    came: dict[str, str | None] = {start: None}
    todo = deque([start])
    while todo:
        v = todo.popleft()
        if v in goals:
            chain = [v]
            while (step := came[chain[-1]]) is not None:
                chain.append(step)
            return chain[::-1]
        for w in sorted(edges[v]):
            if w not in came and (keep is None or w in keep):
                came[w] = v
                todo.append(w)
    return None


def find_cycles(edges: dict[str, dict[str, Import]]) -> list[list[str]]:
    """Cycles that between them pass through every import that closes a cycle."""
    cycles = []
    for group in _strongly_connected(edges):
        keep = set(group)
        covered: set[tuple[str, str]] = set()
        for u in group:
            for v in sorted(w for w in edges[u] if w in keep):
                if (u, v) not in covered:
                    cycle = [u, *(_chain(edges, v, {u}, keep) or [])]
                    covered.update(zip(cycle, cycle[1:], strict=False))
                    cycles.append(cycle)
    return cycles


def _spell(cycle: list[str], edges: dict[str, dict[str, Import]]) -> str:
    lines = [" -> ".join(cycle)]
    for u, v in zip(cycle, cycle[1:], strict=False):
        lines.append(f"    {u} -> {v}  ({edges[u][v].where})")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def graph() -> Graph:
    return read_graph(PACKAGE)


def test_there_are_no_import_cycles(graph: Graph) -> None:
    edges = graph.edges()
    cycles = find_cycles(edges)
    assert not cycles, "import cycles:\n" + "\n".join(_spell(c, edges) for c in cycles)


def test_models_services_and_the_command_line_never_reach_qt(graph: Graph) -> None:
    edges = graph.edges()
    qt: dict[str, Import] = {}
    for imp in graph.imports + graph.by_name:
        if imp.target.split(".")[0] in QT:
            qt.setdefault(imp.source, imp)
    problems = []
    for module in sorted(m for m in graph.modules if _within(m, HEADLESS)):
        chain = _chain(edges, module, set(qt))
        if chain is not None:
            last = qt[chain[-1]]
            problems.append(" -> ".join([*chain, last.target]) + f"  ({last.where})")
    assert not problems, "Qt reached where it must not be:\n" + "\n".join(problems)


def test_arrows_point_down(graph: Graph) -> None:
    problems = [
        f"{i.source} imports {i.target}  ({i.where})"
        for i in graph.imports + graph.by_name
        for layer, above in BELOW.items()
        if _within(i.source, layer) and _within(i.target, (*above, *ON_TOP))
    ]
    assert not problems, "\n".join(problems)


def test_no_module_of_ours_is_imported_by_name(graph: Graph) -> None:
    # A name in a string hides its edge from this graph (and from tools that follow imports).
    problems = [
        f"{i.where}: {i.source} imports "
        + (f"{i.target} by name" if i.target else "a module whose name is computed")
        for i in graph.by_name
        if (i.source, i.function) != LAZY_LOADER
        and (not i.target or _within(i.target, graph.name) or i.target.startswith("."))
    ]
    assert not problems, "\n".join(problems)


# The reader itself, on a made-up package with one of each kind of import.
SAMPLE = {
    "__init__.py": '"""Nothing but a docstring."""\n',
    "a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sample.b import Thing\n",
    "b.py": "def later():\n    from sample import c\n    return c\n",
    "c.py": "import sample.inner.d\nimport sample\n",
    "inner/__init__.py": "from sample.a import VALUE\n",
    "inner/d.py": "from .. import a\nfrom . import e\n",
    "inner/e.py": "import json\n\nimport PySide6.QtCore\n",
    "f.py": "import importlib\ndef load():\n    return importlib.import_module('sample.a')\n",
}


def test_the_reader_sees_every_kind_of_import(tmp_path: Path) -> None:
    for name, text in SAMPLE.items():
        (tmp_path / "sample" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "sample" / name).write_text(text, encoding="utf-8")
    sample = read_graph(tmp_path / "sample")
    edges = sample.edges()
    assert {source: set(targets) for source, targets in edges.items()} == {
        "sample": set(),
        "sample.a": {"sample.b"},  # under TYPE_CHECKING
        "sample.b": {"sample.c"},  # in a function; ``c`` is a submodule
        "sample.c": {"sample.inner.d"},  # and none to the empty ``sample/__init__.py``
        "sample.inner": {"sample.a"},
        "sample.inner.d": {"sample.a", "sample.inner.e"},  # relative imports
        "sample.inner.e": set(),
        "sample.f": {"sample.a"},  # by name
    }
    assert find_cycles(edges) == [
        ["sample.a", "sample.b", "sample.c", "sample.inner.d", "sample.a"]
    ]
    assert _chain(edges, "sample.b", {"sample.inner.e"}) == [
        "sample.b",
        "sample.c",
        "sample.inner.d",
        "sample.inner.e",
    ]
    assert [(i.target, i.where) for i in sample.imports if i.source == "sample.inner.e"] == [
        ("json", "sample/inner/e.py:1"),
        ("PySide6.QtCore", "sample/inner/e.py:3"),
    ]
    assert sample.by_name == [Import("sample.f", "sample.a", "sample/f.py:3", "load")]
