"""The layers of xl_perf, read from the source: no import cycle between its sub-packages and top-level modules, and
each layer imports only what lies beneath it (imports under `if TYPE_CHECKING:` aside, they run in no program)."""

from __future__ import annotations

import ast
from pathlib import Path

import xl_perf

ROOT = Path(xl_perf.__file__).parent

BASE = {"errors", "numbers", "findings"}
# Each layer and what it may import (besides itself). Faces may import everything beneath them.
BENEATH: dict[str, set[str]] = {
    "rules": BASE,
    "engine": BASE | {"rules"},
    "model": BASE | {"rules", "engine"},
}


def _unit(module: str) -> str | None:
    """The sub-package or top-level module of xl_perf that `module` belongs to."""
    parts = module.split(".")
    if parts[0] != "xl_perf" or len(parts) < 2:
        return None
    return parts[1]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, package: str) -> set[str]:
    """Modules of xl_perf imported by `tree` (a module of `package`), outside TYPE_CHECKING blocks."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {name for name in found if name.startswith("xl_perf.")}


def _edges() -> dict[str, set[str]]:
    """unit -> the units it imports."""
    graph: dict[str, set[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT.parent).with_suffix("")
        module = ".".join(relative.parts).removesuffix(".__init__")
        unit = _unit(module)
        if unit is None:  # xl_perf/__init__.py
            continue
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        targets = {_unit(name) for name in _imports(ast.parse(path.read_text("utf-8")), package)}
        # `from xl_perf import document` names a module of xl_perf; the bare package is no unit.
        graph.setdefault(unit, set()).update(t for t in targets if t is not None and t != unit and t in _units())
    return graph


def _units() -> set[str]:
    return {p.stem for p in ROOT.glob("*.py") if p.stem != "__init__"} | {
        p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")) and p.name != "vba_shim"
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected set of more than one unit (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return result


def test_the_reader_sees_imports_and_skips_type_checking() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "from xl_perf.rules import model\n"
        "from . import scoring\n"
        "if TYPE_CHECKING:\n    from xl_perf.model import document\n"
        "def f():\n    import xl_perf.io.guard\n"
    )
    assert _imports(tree, "xl_perf.engine") == {
        "xl_perf.rules",
        "xl_perf.rules.model",
        "xl_perf.engine",
        "xl_perf.engine.scoring",
        "xl_perf.io.guard",
    }
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_core_layers_import_only_what_lies_beneath_them() -> None:
    graph = _edges()
    for layer in sorted(BASE):
        assert graph.get(layer, set()) <= BASE, f"{layer} imports {sorted(graph[layer] - BASE)}"
    for layer, allowed in BENEATH.items():
        assert graph.get(layer, set()) <= allowed, f"{layer} imports {sorted(graph[layer] - allowed)}"


def test_io_imports_only_base_modules() -> None:
    """io lies beneath the faces and knows no template, rule pack or document: only the base modules."""
    beneath = _edges().get("io", set())
    assert beneath <= BASE, f"io imports {sorted(beneath - BASE)}"


def test_template_does_not_import_excel() -> None:
    """The .xlsm variant is handed to the template by the excel face (the CLI composes them)."""
    assert "excel" not in _edges().get("template", set())


def test_no_import_cycle() -> None:
    assert _cycles(_edges()) == []


MAX_MODULE_LINES = 700
MAX_FUNCTION_LINES = 100


def test_no_module_or_function_is_too_long() -> None:
    too_long: list[str] = []
    for path in sorted(ROOT.rglob("*.py")):
        text = path.read_text("utf-8")
        name = path.relative_to(ROOT.parent)
        if (lines := text.count("\n")) > MAX_MODULE_LINES:
            too_long.append(f"{name}: {lines} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    assert too_long == []
