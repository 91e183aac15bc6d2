"""House limits on the `interviewer` package, read with `ast`: functions of at most 60 lines, and no import
cycle, neither between modules nor between the package's top-level parts (a subpackage such as `grading`
counts as one part). Imports under `if TYPE_CHECKING:` do not count; imports inside functions do (a cycle
deferred to call time is still a cycle in the design)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "interviewer"
MAX_FUNCTION_LINES = 60
"""A module's size is not capped: complexity and argument counts are ruff's (C901, PLR0912, PLR0913 in
pyproject.toml), and a module holds one job however long that takes."""


# -- reading the package ---------------------------------------------------------------------------------


def package_modules(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file of the package (a package is its __init__.py)."""
    modules = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if "__pycache__" in parts:
            continue
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def long_functions(tree: ast.AST, limit: int) -> Iterator[tuple[str, int, int]]:
    """(qualified name, first line, length) of every def/async def longer than `limit`, methods and nested
    functions included."""

    def visit(node: ast.AST, prefix: str) -> Iterator[tuple[str, int, int]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                length = child.end_lineno - child.lineno + 1
                if length > limit:
                    yield name, child.lineno, length
                yield from visit(child, f"{name}.<locals>.")
            elif isinstance(child, ast.ClassDef):
                yield from visit(child, f"{prefix}{child.name}.")
            else:
                yield from visit(child, prefix)

    yield from visit(tree, "")


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_imports(nodes: list[ast.AST]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement in `nodes`, at any depth, except those only made for type checkers."""
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _runtime_imports(node.orelse)
        else:
            yield from _runtime_imports(list(ast.iter_child_nodes(node)))


def imported_modules(tree: ast.AST, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The package's modules that `module` imports, relative imports resolved. `from a import b` is an import
    of module a.b when that module exists, else of a."""

    def owner(name: str) -> str | None:  # the longest known module that `name` is or lies in
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    found: set[str] = set()
    for node in _runtime_imports([tree]):
        if isinstance(node, ast.Import):
            found.update(filter(None, (owner(alias.name) for alias in node.names)))
            continue
        if node.level:
            base = module if is_package else module.rpartition(".")[0]
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            base = f"{base}.{node.module}" if node.module else base
        else:
            base = node.module or ""
        for alias in node.names:
            target = owner(f"{base}.{alias.name}") if f"{base}.{alias.name}" in known else owner(base)
            if target:
                found.add(target)
    found.discard(module)
    return found


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    modules = package_modules(root, package)
    known = set(modules)
    return {name: imported_modules(_parse(path), name, path.name == "__init__.py", known)
            for name, path in modules.items()}


def top_level_graph(graph: dict[str, set[str]], package: str) -> dict[str, set[str]]:
    """The same imports between the package's top-level parts: `interviewer.grading.models` is `grading`."""

    def part(module: str) -> str:
        rest = module[len(package) + 1:]
        return rest.split(".")[0] if rest else f"{package}/__init__"

    parts: dict[str, set[str]] = {}
    for module, targets in graph.items():
        edges = parts.setdefault(part(module), set())
        edges.update(part(t) for t in targets)
    for name, edges in parts.items():
        edges.discard(name)
    return parts


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a -> ... -> a) through each strongly connected group of nodes that has one (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [_cycle_through(graph, group) for group in sorted(groups)]


def _cycle_through(graph: dict[str, set[str]], group: list[str]) -> list[str]:
    """The shortest path from the group's first node back to itself, staying inside the group."""
    start, members = group[0], set(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph.get(node, set()) & members):
            if nxt == start:
                return [*paths[node], start]
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    raise AssertionError(f"no cycle through {group}")  # cannot happen for a strongly connected group


# -- the limits on interviewer/ --------------------------------------------------------------------------


def test_no_function_is_over_60_lines():
    too_long = []
    for name, path in package_modules(ROOT, PACKAGE).items():
        for function, line, length in long_functions(_parse(path), MAX_FUNCTION_LINES):
            too_long.append(f"{path.relative_to(ROOT)}:{line} {name}.{function}: {length} lines")
    assert not too_long, f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(too_long)


def test_no_import_cycle_between_modules():
    found = cycles(import_graph(ROOT, PACKAGE))
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_no_import_cycle_between_the_top_level_parts():
    found = cycles(top_level_graph(import_graph(ROOT, PACKAGE), PACKAGE))
    assert not found, f"import cycles between the parts of {PACKAGE}/:\n" + "\n".join(" -> ".join(c) for c in found)


# -- the checks themselves, on a made-up package ---------------------------------------------------------


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def test_imports_are_resolved_like_python_does(tmp_path):
    _write(tmp_path, {
        "pkg/__init__.py": "from .a import thing\n",
        "pkg/a.py": "from . import b\nfrom .sub import c\nimport os\n",
        "pkg/b.py": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\nelse:\n"
                     "    from pkg.sub.c import name\n"),
        "pkg/sub/__init__.py": "from ..b import x\nfrom . import c\n",
        "pkg/sub/c.py": "def later():\n    import pkg.a.deeper\n\nfrom .. import b\nfrom ..sub import d\n",
        "pkg/sub/d.py": "import typing\nif typing.TYPE_CHECKING:\n    import pkg.a\n",
    })
    assert import_graph(tmp_path, "pkg") == {
        "pkg": {"pkg.a"},
        "pkg.a": {"pkg.b", "pkg.sub.c"},
        "pkg.b": {"pkg.sub.c"},  # the TYPE_CHECKING import is left out, its else branch is not
        "pkg.sub": {"pkg.b", "pkg.sub.c"},
        "pkg.sub.c": {"pkg.a", "pkg.b", "pkg.sub.d"},  # an import inside a function counts
        "pkg.sub.d": set(),
    }


def test_cycles_are_named_and_only_real_ones(tmp_path):
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"d"}, "f": {"g"}, "g": {"f"}}
    assert cycles(graph) == [["a", "b", "c", "a"], ["f", "g", "f"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    modules = {"pkg.x": {"pkg.sub.m"}, "pkg.sub.m": {"pkg.y"}, "pkg.y": {"pkg.sub.n"}, "pkg.sub.n": set()}
    assert cycles(modules) == []  # no cycle between modules...
    assert cycles(top_level_graph(modules, "pkg")) == [["sub", "y", "sub"]]  # ...but sub <-> y as parts


def _function(header: str, lines: int, indent: str = "") -> str:
    """A def of exactly `lines` lines (header included)."""
    body = "".join(f"{indent}    x = {i}\n" for i in range(lines - 1))
    return f"{indent}{header}\n{body}"


def test_long_functions_are_measured_from_def_to_last_line():
    source = "".join([
        _function("def fits():", 80),                                   # lines 1-80
        "class C:\n",                                                   # line 81
        _function("async def method(self):", 81, "    "),              # lines 82-162
        "def outer():\n",                                               # line 163
        _function("def inner():", 81, "    "),                          # lines 164-244
    ])
    found = list(long_functions(ast.parse(source), 80))
    assert found == [("C.method", 82, 81), ("outer", 163, 82), ("outer.<locals>.inner", 164, 81)]
