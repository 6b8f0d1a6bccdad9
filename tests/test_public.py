"""The public front (``cyclesem.load_run`` & co), the example script, and the package layout rules."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import numpy as np
import pytest

import cyclesem
from tests.conftest import PROJECT_ROOT
from tests.helpers import make_run  # noqa: E402

FRONT_SCRIPT = (
    "import sys\n"
    "import cyclesem\n"
    "cyclesem.load_run, cyclesem.read_image, cyclesem.write_image, cyclesem.enhance_image\n"
    "print('TF:', sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))\n"
)


def _python(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300, env=env,
                          cwd=PROJECT_ROOT)


def test_the_public_front_imports_no_tensorflow():
    done = _python("-c", FRONT_SCRIPT)
    assert done.returncode == 0, done.stderr
    assert "TF: []" in done.stdout
    assert set(cyclesem.__all__) >= {"load_run", "read_image", "write_image", "enhance_image"}
    with pytest.raises(AttributeError):
        cyclesem.no_such_function  # noqa: B018


def test_the_example_enhances_one_image(tmp_path):
    pytest.importorskip("keras")

    run_dir = make_run(tmp_path / "run")
    image = tmp_path / "field.png"
    cyclesem.write_image(image, np.random.default_rng(0).random((48, 64), dtype=np.float32), dtype="uint8")
    done = _python("examples/enhance_one_image.py", str(run_dir), str(image), str(tmp_path / "sharp.png"))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "64 x 48 px, uint8" in done.stdout and "run: cyclegan" in done.stdout
    out = cyclesem.read_image(tmp_path / "sharp.png")
    assert out.info.shape == (48, 64) and out.info.dtype == "uint8"


def _modules(package: str) -> list:
    return sorted((PROJECT_ROOT / package).rglob("*.py"))


def test_no_module_is_over_400_lines():
    long = [f"{p.relative_to(PROJECT_ROOT)}: {n}" for p in _modules("cyclesem") + _modules("synth")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400]
    assert not long


def test_cyclesem_holds_few_top_level_modules():
    top = sorted(p.name for p in (PROJECT_ROOT / "cyclesem").glob("*.py"))
    assert len(top) <= 8, top


def test_only_the_command_line_of_cyclesem_imports_synth():
    """synth uses cyclesem, never the reverse; the front ends compose both: the CLI (``cyclesem synth``,
    ``cyclesem demo``) and the napari plugin (its phantom sample data, through its ``_library``)."""
    offenders = []
    for path in _modules("cyclesem"):
        if {"cli", "napari_plugin"} & set(path.relative_to(PROJECT_ROOT / "cyclesem").parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}:{node.lineno}" for name in names if name.split(".")[0] == "synth"]
    assert not offenders
