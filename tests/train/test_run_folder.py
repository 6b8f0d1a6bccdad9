"""Tests of cyclesem.io.run_folder and cyclesem.train.run_files: run-folder checks and files."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from cyclesem.errors import CyclesemError
from cyclesem.io.run_folder import prepare_run_folder, read_state, remove_interrupted_writes
from cyclesem.train.run_files import grid_image, write_json
from tests.conftest import PROJECT_ROOT


def test_new_runs_need_an_empty_folder_or_a_run_to_overwrite(tmp_path):
    folder = tmp_path / "run"
    (folder / "checkpoints").mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    with pytest.raises(CyclesemError, match="not empty.*--resume.*--overwrite"):
        prepare_run_folder(folder)
    prepare_run_folder(folder, overwrite=True)
    assert folder.is_dir() and not list(folder.iterdir())
    (folder / "thesis.docx").write_text("precious")
    with pytest.raises(CyclesemError, match="not part of a run"):
        prepare_run_folder(folder, overwrite=True)
    assert (folder / "thesis.docx").exists()


def test_grid_image_tiles_rows_with_gaps():
    rows = [[np.zeros((4, 5)), np.ones((4, 5))], [np.full((4, 5), 2.0)]]
    grid = grid_image(rows, gap=1)
    assert grid.shape == (9, 11) and grid.dtype == np.uint8
    assert grid[0, 0] == 0 and grid[0, 6] == 255 and grid[5, 0] == 255  # clipped to [0, 1]
    assert grid[4, 0] == 255 and grid[0, 5] == 255  # gaps are white


def test_state_is_written_atomically_and_read_back(tmp_path):
    assert read_state(tmp_path) == {}
    write_json(tmp_path / "state.json", {"step": 3})
    assert read_state(tmp_path) == {"step": 3}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
    (tmp_path / "state.json").write_text("{broken")
    with pytest.raises(CyclesemError, match="cannot read the run state"):
        read_state(tmp_path)


_KILLED = textwrap.dedent("""
    import os, sys
    from pathlib import Path

    import numpy as np

    from cyclesem.config.supervised import resolve_supervised_config
    from cyclesem.train.tasks import run_training
    from tests.helpers import MICRO_SUPERVISED, write_pairs

    root = Path(sys.argv[1])
    blurry, sharp = write_pairs(root / "pairs", ["1-1_s000", "2-1_s000"])
    config = resolve_supervised_config("midnet", "tiny", overrides=MICRO_SUPERVISED, options={
        "data": {"blurry": blurry, "sharp": sharp, "val_fraction": 0.0},
        "train": {"steps": 4, "crop": 32, "batch": 2, "checkpoint_every": 2, "log_every": 1, "sample_every": 100}})
    savez = np.savez

    def killed_at_step_4(handle, **arrays):
        if int(arrays["step"]) == 4:
            handle.write(b"PK\\x03\\x04 half a checkpoint")
            handle.flush()
            os._exit(9)  # as SIGKILL: no finally block runs, nothing is cleaned up
        savez(handle, **arrays)

    np.savez = killed_at_step_4
    run_training(config, root / "run", progress=False)
""")


def _losses_steps(run_dir):
    return [int(line.split(",")[0]) for line in (run_dir / "losses.csv").read_text().splitlines()[1:]]


def test_a_kill_while_a_checkpoint_is_written_loses_nothing(tmp_path):
    pytest.importorskip("keras")
    from cyclesem.train.tasks import resume_training

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run([sys.executable, "-c", _KILLED, str(tmp_path)], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    run_dir = tmp_path / "run"
    assert done.returncode == 9, done.stderr[-3000:]
    assert read_state(run_dir)["step"] == 2 and _losses_steps(run_dir) == [1, 2, 3, 4]
    checkpoints = sorted(p.name for p in (run_dir / "checkpoints").iterdir())
    assert checkpoints[0].startswith(".step_000004.") and checkpoints[1:] == ["step_000002.npz"]
    lines = []
    result = resume_training(run_dir, progress=False, log=lines.append)
    assert result.step == 4 and read_state(run_dir)["finished"] and _losses_steps(run_dir) == [1, 2, 3, 4]
    assert any("interrupted write" in line for line in lines)
    assert not [p for p in run_dir.rglob(".*") if "partial" in p.name]


def test_only_unfinished_writes_are_removed(tmp_path):
    write_json(tmp_path / "state.json", {"step": 1})
    (tmp_path / "checkpoints").mkdir()
    left = [tmp_path / ".generator.0a1b2c3d.partial.keras", tmp_path / "checkpoints" / ".step_000004.deadbeef.partial.npz"]
    kept = [tmp_path / ".hidden", tmp_path / "notes.partial.txt", tmp_path / "checkpoints" / "step_000002.npz"]
    for path in left + kept:
        path.write_bytes(b"x")
    assert sorted(remove_interrupted_writes(tmp_path)) == sorted(left)
    assert all(p.exists() for p in kept) and not any(p.exists() for p in left)
