"""Tests of cyclesem.train.run_folder: run-folder checks and files."""

from __future__ import annotations

import numpy as np
import pytest

from cyclesem.errors import CyclesemError
from cyclesem.train.run_folder import grid_image, prepare_run_folder, read_state, write_json


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
