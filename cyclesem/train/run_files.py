"""What the training runner writes into a run folder: checkpoints, losses, previews, JSON.

:func:`write_json` (``config.json``, ``state.json``, a task's results),
:func:`save_checkpoint` / :func:`restore_checkpoint`
(``checkpoints/step_NNNNNN.npz``: every variable given, written atomically,
the last few kept), :class:`LossLog` (``losses.csv`` and TensorBoard scalars),
:func:`grid_image` and :func:`write_png` (``samples/step_NNNNNN.png``). The
file names come from :mod:`cyclesem.io.run_folder`, the run-folder contract.

Every file is written with :func:`cyclesem.io.outputs.write_atomic` (a hidden
temporary name in the same folder, then renamed), so an interrupted write never
leaves a partial file behind. Importing this module imports no TensorFlow.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
from pathlib import Path

import numpy as np

from cyclesem.backend import keras_backend, require_keras, require_tensorflow
from cyclesem.errors import CyclesemError
from cyclesem.io.outputs import write_atomic
from cyclesem.io.run_folder import LOSSES_CSV, checkpoint_path

__all__ = ["LossLog", "grid_image", "restore_checkpoint", "save_checkpoint", "write_json", "write_png"]


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` as indented JSON, atomically."""
    write_atomic(path, lambda p: p.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8"))



# --- checkpoints -------------------------------------------------------------------------------

def save_checkpoint(groups: dict, run_dir: Path, step: int, *, keep: int) -> Path:
    """Save every variable of ``groups`` (``{name: [variables]}``) at ``step``; keep the last ``keep``."""
    keras = require_keras()
    arrays = {"step": np.int64(step)}
    for group, variables in groups.items():
        for index, variable in enumerate(variables):
            arrays[f"{group}:{index:05d}"] = keras.ops.convert_to_numpy(variable.value)
    path = checkpoint_path(run_dir, step)
    path.parent.mkdir(exist_ok=True)

    def write(temporary: Path):
        with open(temporary, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())

    write_atomic(path, write)
    for old in sorted(path.parent.glob("step_*.npz"))[:-keep]:
        old.unlink()
    return path


def restore_checkpoint(groups: dict, path: Path) -> int:
    """Assign a checkpoint's arrays to the variables of ``groups``; returns its step.

    Raises
    ------
    CyclesemError
        If the file is unreadable or does not match the variables.
    """
    try:
        with np.load(path) as stored:
            arrays = {key: stored[key] for key in stored.files}
    except (OSError, ValueError) as exc:
        raise CyclesemError(f"cannot read the checkpoint ({exc})", path) from None
    for group, variables in groups.items():
        keys = sorted(k for k in arrays if k.startswith(f"{group}:"))
        if len(keys) != len(variables):
            raise CyclesemError(f"checkpoint does not match the model ({group}: "
                                f"{len(keys)} arrays for {len(variables)} variables)", path)
        for key, variable in zip(keys, variables):
            if tuple(arrays[key].shape) != tuple(variable.shape):
                raise CyclesemError(f"checkpoint does not match the model ({variable.path}: "
                                    f"{arrays[key].shape} vs {tuple(variable.shape)})", path)
            variable.assign(arrays[key])
    return int(arrays["step"])


# --- logs and previews ---------------------------------------------------------------------------

def grid_image(rows: list[list[np.ndarray]], gap: int = 2) -> np.ndarray:
    """Tile rows of 2-D images into one uint8 image (values clipped to [0, 1] for display)."""
    height = max(image.shape[0] for row in rows for image in row)
    width = max(image.shape[1] for row in rows for image in row)
    columns = max(len(row) for row in rows)
    grid = np.full((len(rows) * (height + gap) - gap, columns * (width + gap) - gap), 255, np.uint8)
    for r, row in enumerate(rows):
        for c, image in enumerate(row):
            top, left = r * (height + gap), c * (width + gap)
            pixels = np.clip(np.nan_to_num(np.asarray(image, np.float32)), 0.0, 1.0)
            grid[top:top + image.shape[0], left:left + image.shape[1]] = np.round(pixels * 255)
    return grid


def write_png(path: Path, image: np.ndarray) -> None:
    """Write a uint8 image as PNG, atomically (the folder is created if needed)."""
    import cv2

    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise CyclesemError("cannot encode the sample image", path)
    path.parent.mkdir(exist_ok=True)
    write_atomic(path, lambda p: p.write_bytes(encoded.tobytes()))


class LossLog:
    """``losses.csv`` (and TensorBoard scalars when tensorboard is installed)."""

    def __init__(self, run_dir: Path, start_step: int):
        self.path = run_dir / LOSSES_CSV
        self.rows = self._read_until(start_step)
        self.writer = None
        if importlib.util.find_spec("tensorboard") is not None and keras_backend() == "tensorflow":
            self.writer = require_tensorflow().summary.create_file_writer(str(run_dir / "logs"))

    def _read_until(self, step: int) -> list[dict]:
        if not self.path.exists():
            return []
        with open(self.path, newline="", encoding="utf-8") as fh:
            return [row for row in csv.DictReader(fh) if int(row["step"]) <= step]

    def add(self, step: int, seconds: float, losses: dict) -> None:
        self.rows.append({"step": step, "seconds": f"{seconds:.1f}",
                          **{k: f"{v:.6g}" for k, v in losses.items()}})
        if self.writer is not None:
            tf = require_tensorflow()
            with self.writer.as_default():
                for name, value in losses.items():
                    tf.summary.scalar(name, value, step=step)

    def flush(self) -> None:
        if not self.rows:
            return
        fields = list(dict.fromkeys(k for row in self.rows for k in row))

        def write(temporary: Path):
            with open(temporary, "w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=fields)
                writer.writeheader()
                writer.writerows(self.rows)

        write_atomic(self.path, write)
