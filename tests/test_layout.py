"""The package's layout keeps the rules its README states: wings import one way, no private name
crosses a module, no module over 450 lines, no function over 80 lines without a reason beside it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "datajobs"
# data <- model <- ops / web / report <- publishing <- cli; config and errors sit below every wing.
WING_RANK = {"config": 0, "errors": 0, "data": 1, "model": 2, "ops": 3, "web": 3, "report": 3,
             "publishing": 4, "cli": 5}
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 80
LONG_REASON = "# long:"


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def wing_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else None


def imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported, names imported, line) for every datajobs import, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("datajobs"):
            found.append((node.module, [alias.name for alias in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names if alias.name.startswith("datajobs")]
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_imports_run_one_way_between_wings(path):
    here = wing_of(module_name(path))
    if here is None:
        return
    for imported, names, line in imports(path):
        targets = [imported] if wing_of(imported) else [f"{imported}.{name}" for name in names]
        for target in targets:
            there = wing_of(target)
            if there is None or there == here or there not in WING_RANK:
                continue
            assert WING_RANK[there] < WING_RANK[here], (
                f"{path.name}:{line}: wing {here!r} imports {target} of wing {there!r}")


@pytest.mark.parametrize("path", modules(), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_no_private_name_crosses_a_module(path):
    for imported, names, line in imports(path):
        private = [name for name in names if name.startswith("_") and name != "__version__"]
        assert not private, f"{path.name}:{line}: imports private {private} from {imported}"
        assert not imported.rsplit(".", 1)[-1].startswith("_"), f"{path.name}:{line}: imports {imported}"


@pytest.mark.parametrize("path", modules(), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_modules_and_functions_stay_small(path):
    text = path.read_text()
    lines = text.splitlines()
    assert len(lines) <= MAX_MODULE_LINES, f"{path.name} has {len(lines)} lines"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
            reason = any(LONG_REASON in lines[index] for index in range(max(first - 3, 0), node.lineno))
            assert length <= MAX_FUNCTION_LINES or reason, f"{path.name}: {node.name} has {length} lines"


@pytest.mark.parametrize("path", modules(), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_every_module_says_its_job(path):
    docstring = ast.get_docstring(ast.parse(path.read_text()))
    assert docstring and docstring.strip(), f"{path.name} has no docstring"


def test_no_import_cycle():
    graph = {module_name(path): {imported for imported, _, _ in imports(path)} for path in modules()}
    # `from datajobs.data import loading` names the module datajobs.data.loading
    for path in modules():
        for imported, names, _ in imports(path):
            graph[module_name(path)] |= {f"{imported}.{name}" for name in names if f"{imported}.{name}" in graph}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if target not in graph or target == node:
                continue
            # a package's face imports its own modules; that is not a cycle
            if target.startswith(node + ".") or node.startswith(target + ".") and target in graph:
                continue
            assert state.get(target) != 1, "import cycle: " + " -> ".join([*trail, node, target])
            if target not in state:
                visit(target, [*trail, node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
