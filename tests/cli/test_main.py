"""CLI-wide checks: the help is instant (no heavy imports) and lists every command."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from cyclesem.cli import main

COMMANDS = ("info", "synth", "train", "enhance", "export", "compare", "demo")
HEAVY = ("tensorflow", "keras", "matplotlib")
HELP_SCRIPT = (
    "import sys\n"
    "from cyclesem.cli import main\n"
    "try:\n"
    "    main(['--help'])\n"
    "except SystemExit:\n"
    "    pass\n"
    f"print('HEAVY:', sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
)


def test_help_lists_every_command_without_heavy_imports():
    done = subprocess.run([sys.executable, "-c", HELP_SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for name in COMMANDS:
        assert f"\n  {name} " in done.stdout, name
    assert "HEAVY: []" in done.stdout


def test_each_command_has_its_own_help():
    for name in COMMANDS:
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, name



NO_TF_SCRIPT = (
    "import sys\n"
    "import numpy as np\n"
    "from cyclesem.cli import main\n"
    "from cyclesem.evaluate.compare import resolve_methods\n"
    "from cyclesem.io import write_image\n"
    "path = write_image(sys.argv[1], np.full((32, 32), 0.5, np.float32), dtype='uint16')\n"
    "methods, failures = resolve_methods(['identity', 'wiener', 'blind', 'unsharp'])\n"
    "assert not failures and all(m.restore(np.ones((16, 16), np.float32), np.ones((1, 1), np.float32)) is not None\n"
    "                            for m in methods)\n"
    "try:\n"
    "    main(['info', str(path)])\n"
    "except SystemExit as exc:\n"
    "    assert not exc.code, exc.code\n"
    "print('TF:', sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))\n"
)


def test_info_and_classical_methods_never_import_tensorflow(tmp_path):
    done = subprocess.run([sys.executable, "-c", NO_TF_SCRIPT, str(tmp_path / "x.tif")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "TF: []" in done.stdout
