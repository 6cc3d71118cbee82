"""The floors the layout keeps (issue 15): no import cycle anywhere in the package, counting every import
(module level, inside functions, type-only ones under TYPE_CHECKING); at most eight modules at the top of
``cockpit/``; no function over 50 lines; every package installed.

The layer contracts themselves are import-linter's (pyproject.toml, run by ./scripts/test); this walks the
source with ``ast`` because import-linter does not see a cycle that only type-only imports close.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI (a runtime dependency there)
    import tomli as tomllib


ROOT = Path(__file__).resolve().parents[2]
# Where each installed package's source lives in the checkout (pyproject's package-dir).
TREES = {"cockpit": ROOT / "cockpit", "cockpit.widgets": ROOT / "widgets", "cockpit.themes": ROOT / "themes"}
MAX_FUNCTION_LINES = 50
MAX_TOP_LEVEL_MODULES = 8


def modules() -> dict[str, Path]:
    """Every module of the installed package by dotted name (packages by their ``__init__``)."""
    found: dict[str, Path] = {}
    for package, tree in TREES.items():
        for path in sorted(tree.rglob("*.py")):
            parts = list(path.relative_to(tree).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if package == "cockpit" and parts[:1] in (["widgets"], ["themes"]):
                continue
            found[".".join([package, *parts])] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules ``name`` imports anywhere in its source, type-only imports included."""
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                target = f"{base}.{alias.name}"
                if target in known:
                    out.add(target)  # a module imported by name
                elif base in known:
                    out.add(base)
    out.discard(name)
    return out


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the directed graph as a path that returns to its start, or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_the_import_reader_sees_type_only_and_function_imports(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from cockpit.ui.app import CockpitApp\n"
        "def f():\n    from cockpit.text import formatting\n"
    )
    known = {"cockpit.ui.app", "cockpit.text", "cockpit.text.formatting", "cockpit.m"}
    assert imports_of("cockpit.m", source, known) == {"cockpit.ui.app", "cockpit.text.formatting"}


def test_no_import_cycle_counting_every_import() -> None:
    found = modules()
    known = set(found)
    graph = {name: imports_of(name, path, known) for name, path in found.items()}
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_top_of_the_package_holds_few_modules() -> None:
    top = sorted(p.name for p in (ROOT / "cockpit").glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top


def functions(path: Path) -> Iterator[tuple[str, int]]:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            yield node.name, (node.end_lineno or node.lineno) - start + 1


def test_no_function_over_fifty_lines() -> None:
    long = [
        f"{path.relative_to(ROOT)}:{name} ({lines} lines)"
        for path in modules().values()
        for name, lines in functions(path)
        if lines > MAX_FUNCTION_LINES
    ]
    assert not long, long


def test_every_package_is_installed() -> None:
    declared = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    packages = {name for name, path in modules().items() if path.name == "__init__.py"}
    assert packages <= declared, sorted(packages - declared)
