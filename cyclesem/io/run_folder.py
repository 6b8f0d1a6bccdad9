"""The run-folder contract: a training run's file names (only here) and their readers.

A run folder (written by ``cyclesem train``, :mod:`cyclesem.train.runner`)
holds ``config.json`` (the resolved config), ``state.json`` (``{"step": N,
...}``), ``checkpoints/step_NNNNNN.npz``, ``generator.keras`` (the exported
network; ``best.keras`` beside it when a validation split picked one),
``losses.csv``, ``samples/`` and the results a task adds (``degradation.json``).
Everything that reads a run folder takes its names and readers from here:
:func:`is_run_dir`, :func:`read_json`, :func:`read_state`,
:func:`exported_network_file`, :func:`read_estimated_psf`,
:func:`latest_checkpoint`, :func:`describe_run`. The output-folder policy of a
new run (:func:`check_new_run_folder`, :func:`prepare_run_folder`) and the
clean-up after a killed write (:func:`remove_interrupted_writes`) apply
:mod:`cyclesem.io.outputs`. The runner's writers live in
:mod:`cyclesem.train.run_files`. No TensorFlow or Keras here.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from cyclesem.errors import CyclesemError
from cyclesem.io.outputs import check_output_folder, clear_output_folder, remove_partial_files

__all__ = [
    "BEST_MODEL_FILE",
    "CHECKPOINTS",
    "CONFIG_FILE",
    "DEGRADATION_FILE",
    "LOSSES_CSV",
    "MODEL_FILE",
    "RESULT_FILES",
    "SAMPLES",
    "STATE_FILE",
    "check_new_run_folder",
    "checkpoint_path",
    "describe_run",
    "exported_network_file",
    "is_run_dir",
    "latest_checkpoint",
    "prepare_run_folder",
    "read_estimated_psf",
    "read_json",
    "read_run_files",
    "read_state",
    "remove_interrupted_writes",
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


def read_run_files(run_dir: str | os.PathLike) -> tuple[dict, dict]:
    """A run folder's ``config.json`` (as saved, a mapping) and ``state.json``, checked.

    Raises
    ------
    CyclesemError
        If the folder does not exist, is a TensorFlow SavedModel, lacks either
        file, a file does not read as a JSON object, or the state has no
        integer ``step``.
    """
    path = Path(run_dir)
    if not path.is_dir():
        raise CyclesemError("not a run folder (no such folder)", path)
    if (path / "saved_model.pb").is_file():
        raise CyclesemError("a TensorFlow SavedModel folder, not a run folder: cyclesem loads run folders "
                            "of 'cyclesem train', packaged models, .onnx files and bioimage.io .zip packages "
                            "(export the network to ONNX)", path)
    if not is_run_dir(path):
        raise CyclesemError(f"not a run folder (needs {CONFIG_FILE} and {STATE_FILE})", path)
    saved, state = read_json(path / CONFIG_FILE), read_json(path / STATE_FILE)
    if not isinstance(state.get("step"), int):
        raise CyclesemError("state has no integer 'step'", path / STATE_FILE)
    return saved, state


def exported_network_file(run_dir: str | os.PathLike) -> Path:
    """The network a run is used with: ``best.keras`` when validation picked one, else ``generator.keras``."""
    best = Path(run_dir) / BEST_MODEL_FILE
    return best if best.is_file() else Path(run_dir) / MODEL_FILE


def describe_run(run_dir: str | os.PathLike, kind: str, preset: str, state: dict) -> str:
    """One line for reports and logs: folder name, kind, preset, steps and training time.

    Parameters
    ----------
    run_dir : str or os.PathLike
        The run folder.
    kind, preset : str
        From its ``config.json``.
    state : dict
        Its ``state.json`` (``step`` an integer).
    """
    run_dir = Path(run_dir)
    step = int(state["step"])
    parts = [kind, f"preset {preset}"]
    planned = state.get("steps")
    parts.append(f"{step} of {planned} steps" if isinstance(planned, int) and planned > step else f"{step} steps")
    seconds = state.get("seconds")
    if isinstance(seconds, (int, float)):
        parts.append(f"trained {_duration(seconds)}")
    best = state.get("best")
    if isinstance(best, dict) and isinstance(best.get("step"), int) and (run_dir / BEST_MODEL_FILE).is_file():
        parts.append(f"network of the best validation score (step {best['step']})")
    return f"{run_dir.name}: " + ", ".join(parts)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


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
