"""A training run's folder: its file names (only here), state, checkpoints, losses, previews.

The runner (:mod:`cyclesem.train.runner`) writes a run folder with these helpers:
``config.json`` and ``state.json`` (:func:`write_json`, :func:`read_state`),
``checkpoints/step_NNNNNN.npz`` (:func:`save_checkpoint`: every variable given,
written atomically, the last few kept; :func:`restore_checkpoint`),
``generator.keras`` (``write_atomic``), ``losses.csv`` and TensorBoard
scalars (:class:`LossLog`), and ``samples/step_NNNNNN.png`` (:func:`grid_image`,
:func:`write_png`). :mod:`cyclesem.restore.runs` reads the result with
:func:`is_run_dir` and :func:`read_json`.

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
from cyclesem.io.outputs import check_output_folder, clear_output_folder, remove_partial_files, write_atomic

__all__ = [
    "BEST_MODEL_FILE",
    "DEGRADATION_FILE",
    "read_estimated_psf",
    "RESULT_FILES",
    "CHECKPOINTS",
    "CONFIG_FILE",
    "LOSSES_CSV",
    "LossLog",
    "MODEL_FILE",
    "SAMPLES",
    "STATE_FILE",
    "check_new_run_folder",
    "checkpoint_path",
    "grid_image",
    "is_run_dir",
    "latest_checkpoint",
    "prepare_run_folder",
    "read_json",
    "read_state",
    "remove_interrupted_writes",
    "restore_checkpoint",
    "save_checkpoint",
    "write_json",
    "write_png",
]

CHECKPOINTS = "checkpoints"
SAMPLES = "samples"
LOSSES_CSV = "losses.csv"
CONFIG_FILE = "config.json"
STATE_FILE = "state.json"
MODEL_FILE = "generator.keras"
BEST_MODEL_FILE = "best.keras"
DEGRADATION_FILE = "degradation.json"
RESULT_FILES = {"degradation": DEGRADATION_FILE}
"""File names of the results a task may hand the runner (``task.run_files``)."""
_RUN_ITEMS = (CONFIG_FILE, STATE_FILE, MODEL_FILE, BEST_MODEL_FILE, DEGRADATION_FILE, LOSSES_CSV,
              CHECKPOINTS, SAMPLES, "logs")


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` as indented JSON, atomically."""
    write_atomic(path, lambda p: p.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8"))


def read_state(run_dir: str | os.PathLike) -> dict:
    """``state.json`` of a run, or ``{}`` if there is none yet."""
    path = Path(run_dir) / STATE_FILE
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CyclesemError(f"cannot read the run state ({exc})", path) from None


def read_json(path: str | os.PathLike) -> dict:
    """A run file holding one JSON object (``config.json``, ``state.json``).

    Raises
    ------
    CyclesemError
        If the file cannot be read, is not JSON, or not an object.
    """
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise CyclesemError(f"cannot read ({exc.strerror or exc})", path) from None
    except ValueError as exc:
        raise CyclesemError(f"not valid JSON ({exc})", path) from None
    if not isinstance(data, dict):
        raise CyclesemError("expected a JSON object", path)
    return data


def read_estimated_psf(run_dir: str | os.PathLike) -> tuple[np.ndarray, float]:
    """The mean PSF a physical CycleGAN run fitted (``degradation.json``) and its equivalent sigma (px).

    Raises
    ------
    CyclesemError
        If the run has no fitted degradation or its PSF is not a finite 2-D array of positive sum.
    """
    path = Path(run_dir) / DEGRADATION_FILE
    if not path.is_file():
        raise CyclesemError(f"no estimated PSF: the run has no {DEGRADATION_FILE} (train it with "
                            f"the physical degradation)", run_dir)
    fitted = read_json(path)
    try:
        psf = np.asarray(fitted["psf"]["image"], np.float64)
        sigma = float(fitted["psf"].get("equivalent_sigma_px", float("nan")))
    except (KeyError, TypeError, ValueError):
        psf, sigma = np.zeros(0), float("nan")
    if psf.ndim != 2 or not np.isfinite(psf).all() or psf.sum() <= 0:
        raise CyclesemError("the estimated PSF is not a finite 2-D array with a positive sum", path)
    return (psf / psf.sum()).astype(np.float32), sigma


def is_run_dir(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a folder holding a run's ``config.json`` and ``state.json``."""
    path = Path(path)
    return (path / CONFIG_FILE).is_file() and (path / STATE_FILE).is_file()


_NEW_RUN_POLICY = {
    "owned": _RUN_ITEMS,
    "what": "a run",
    "not_empty": "the output folder is not empty: pass --resume to continue the run in it or --overwrite "
                 "to start again",
}


def check_new_run_folder(run_dir: str | os.PathLike, *, overwrite: bool = False) -> None:
    """Raise unless a new run may start in ``run_dir`` (changes nothing).

    The output-folder policy of :func:`cyclesem.io.outputs.check_output_folder`:
    a non-empty folder is refused unless ``overwrite``; even then only a folder
    holding nothing but run files (``config.json``, ``checkpoints/``, ...) may
    be emptied, never any other folder.

    Raises
    ------
    CyclesemError
        If the folder is not empty (and not ``overwrite``), or not a run folder.
    """
    check_output_folder(run_dir, overwrite, **_NEW_RUN_POLICY)


def prepare_run_folder(run_dir: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Check ``run_dir`` (:func:`check_new_run_folder`), empty it if allowed, create it."""
    return clear_output_folder(run_dir, overwrite, **_NEW_RUN_POLICY)


def remove_interrupted_writes(run_dir: str | os.PathLike) -> list[Path]:
    """Remove what a run killed mid-write left behind (hidden temporary files); the finished files stay."""
    run_dir = Path(run_dir)
    return [path for folder in (run_dir, run_dir / CHECKPOINTS, run_dir / SAMPLES)
            for path in remove_partial_files(folder)]


# --- checkpoints -------------------------------------------------------------------------------

def checkpoint_path(run_dir: Path, step: int) -> Path:
    """``RUN/checkpoints/step_NNNNNN.npz``."""
    return Path(run_dir) / CHECKPOINTS / f"step_{step:06d}.npz"


def latest_checkpoint(run_dir: str | os.PathLike) -> Path | None:
    """The newest ``checkpoints/step_N.npz`` of a run, or None."""
    found = sorted((Path(run_dir) / CHECKPOINTS).glob("step_*.npz"))
    return found[-1] if found else None


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
