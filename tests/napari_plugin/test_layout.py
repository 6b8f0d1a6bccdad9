"""Only cyclesem.napari_plugin imports napari and Qt (checked without napari installed)."""

from __future__ import annotations

import ast

from tests.conftest import PROJECT_ROOT

GUI_PACKAGES = {"napari", "npe2", "magicgui", "qtpy", "PyQt5", "PyQt6", "PySide2", "PySide6", "superqt", "vispy"}


def test_only_the_plugin_imports_napari_or_qt():
    offenders = []
    for path in sorted((PROJECT_ROOT / "cyclesem").rglob("*.py")):
        if "napari_plugin" in path.relative_to(PROJECT_ROOT / "cyclesem").parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            offenders += [f"{path.name}:{node.lineno}" for name in names if name.split(".")[0] in GUI_PACKAGES]
    assert not offenders


def test_the_plugin_reaches_the_library_through_one_module():
    """Every cyclesem import of the plugin is in _library.py, so moves inside the library are repointed there."""
    plugin = PROJECT_ROOT / "cyclesem" / "napari_plugin"
    offenders = []
    for path in sorted(plugin.glob("*.py")):
        if path.name == "_library.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}:{node.lineno} {name}" for name in names if name.split(".")[0] in
                          ("cyclesem", "synth") and not name.startswith("cyclesem.napari_plugin")]
    assert not offenders
