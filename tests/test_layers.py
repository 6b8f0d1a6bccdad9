"""The layer order of DEVELOPING.md's module map, enforced: no import circle, no import running up.

Every import of every module of ``cyclesem/`` and ``synth/`` counts, also
imports inside functions and under ``TYPE_CHECKING``: a module imports only
from rows above its own in the module map's table, or from its own row (its
own package). ``from package import name`` counts as importing the submodule
``name`` when there is one, else the package's ``__init__``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import PROJECT_ROOT

PACKAGES = ("cyclesem", "synth")


def _module_files() -> dict[str, Path]:
    files = {}
    for package in PACKAGES:
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
            files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return files


MODULES = _module_files()


def _imported(module: str, path: Path) -> set[str]:
    """The project modules ``module`` imports anywhere in its file."""
    found = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            submodules = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES]
            targets = submodules if len(submodules) == len(node.names) else [base, *submodules]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != module:
                found.add(target)
    return found


GRAPH = {module: _imported(module, path) for module, path in MODULES.items()}


def _layer_rows() -> list[str]:
    """The module map's first column, top to bottom, as dotted names (``cyclesem/io/`` -> ``cyclesem.io``)."""
    text = (PROJECT_ROOT / "DEVELOPING.md").read_text(encoding="utf-8")
    table = text.split("## Module map", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \|", table, flags=re.MULTILINE)
    return [row.removesuffix("/").removesuffix(".py").removesuffix("/__init__").replace("/", ".") for row in rows]


def _row_of(module: str, rows: list[str]) -> int:
    matches = [k for k, row in enumerate(rows) if module == row or module.startswith(row + ".")]
    assert matches, f"{module} has no row in DEVELOPING.md's module map"
    return max(matches, key=lambda k: len(rows[k]))


def test_every_package_has_one_row_in_the_module_map():
    rows = _layer_rows()
    assert len(rows) == len(set(rows)), rows
    for module in MODULES:
        _row_of(module, rows)


def test_no_import_runs_up_the_layer_order():
    rows = _layer_rows()
    upward = [f"{module} -> {target} ({rows[_row_of(module, rows)]} is above {rows[_row_of(target, rows)]})"
              for module, targets in GRAPH.items() for target in sorted(targets)
              if _row_of(target, rows) > _row_of(module, rows)]
    assert not upward, "\n".join(upward)


def test_no_import_circle_between_modules():
    circles, state = [], {}

    def visit(module: str, trail: list[str]) -> None:
        state[module], trail = "open", trail + [module]
        for target in sorted(GRAPH[module]):
            if state.get(target) == "open":
                circles.append(" -> ".join(trail[trail.index(target):] + [target]))
            elif target not in state:
                visit(target, trail)
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [])
    assert not circles, "\n".join(circles)
