"""The training runner: run folder, checkpoints, resume, progress, strategies, export.

The runner knows nothing about the model it trains. A **task** object supplies
the model-specific parts (:class:`TrainingTask`); :func:`train` does the rest:

- the run folder: ``config.json`` (``task.config_dict()``), ``state.json``
  (``{"step", "steps", "kind", "seconds", "finished", "checkpoint"}``),
  ``checkpoints/step_NNNNNN.npz`` (written atomically; the last
  ``keep_checkpoints`` kept), ``generator.keras`` (``task.export_model``,
  refreshed with every checkpoint), ``losses.csv``, ``samples/step_NNNNNN.png``
  and, when ``tensorboard`` is installed, TensorBoard logs in ``logs/``;
- validation, when the task has a ``validate`` method: every
  ``settings.validate_every`` steps and at the last step, its scores go to
  ``losses.csv`` as ``val_<name>`` and above the progress bar, and the network
  with the highest ``task.best_metric`` so far is exported as ``best.keras``
  (``state.json["best"]`` says its step and scores);
- a checkpoint holds every variable of the model (networks, non-trainable state
  such as image pools and step counters) and of its optimizers (moments and
  step counters, hence the learning-rate schedule's position). Data streams are
  pure functions of (seed, step), so resuming at step ``s`` continues exactly
  where a straight run would be;
- ``fit()`` under the distribution strategy (``MirroredStrategy`` when more
  than one GPU is visible), with a tqdm progress bar (step, losses, steps per
  second, ETA); Ctrl-C saves a checkpoint, then re-raises ``KeyboardInterrupt``.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from cyclesem.backend import require_keras, require_tensorflow
from cyclesem.errors import CyclesemError

__all__ = [
    "TrainingResult",
    "TrainingTask",
    "check_new_run_folder",
    "choose_strategy",
    "grid_image",
    "latest_checkpoint",
    "prepare_run_folder",
    "read_state",
    "train",
]

CHECKPOINTS = "checkpoints"
SAMPLES = "samples"
LOSSES_CSV = "losses.csv"
CONFIG_FILE = "config.json"
STATE_FILE = "state.json"
MODEL_FILE = "generator.keras"
BEST_MODEL_FILE = "best.keras"
_RUN_ITEMS = (CONFIG_FILE, STATE_FILE, MODEL_FILE, BEST_MODEL_FILE, LOSSES_CSV, CHECKPOINTS, SAMPLES, "logs")


class TrainingTask(Protocol):
    """What a model kind supplies to :func:`train`.

    Attributes
    ----------
    kind : str
        ``"cyclegan"``, ``"midnet"``, ... (written to ``state.json``).
    settings : cyclesem.train_config.TrainSettings
        Steps, batch, seed and the checkpoint / sample / log intervals.
    progress_keys : tuple of str
        The losses shown on the progress bar (all are logged to ``losses.csv``).
    """

    kind: str
    settings: object
    progress_keys: tuple = ()

    def config_dict(self) -> dict:
        """The resolved config (with a top-level ``"kind"``) for ``config.json``."""

    def build_model(self):
        """A compiled ``keras.Model`` whose variables and optimizer variables all exist.

        Called inside the distribution strategy's scope.
        """

    def optimizers(self, model) -> dict:
        """The model's optimizers by name; their variables are checkpointed."""

    def completed_steps(self, model) -> int:
        """Steps the model has trained (a model variable, restored with checkpoints)."""

    def dataset(self, start_step: int):
        """A ``tf.data.Dataset`` of the batches for steps ``start_step .. settings.steps - 1``."""

    def export_model(self, model):
        """The float32 enhancement network saved as ``generator.keras``."""

    def sample_rows(self, model) -> list:
        """Preview rows of 2-D images (normalised units) for ``samples/step_N.png``."""

    # Optional: tasks with validation data also define
    #   best_metric: str                      (a key of validate's scores, higher is better)
    #   validate(model) -> dict[str, float]   ({} when there is no validation data)
    # and their settings a ``validate_every`` interval in steps.


@dataclass(frozen=True)
class TrainingResult:
    """Where a call of :func:`train` ended, and the trained model."""

    step: int
    seconds: float
    run_dir: Path
    model: object = field(default=None, repr=False)


def _write_atomic(path: Path, write: Callable[[Path], None], suffix: str = "") -> None:
    """Call ``write(temporary_path)``, then rename the temporary file onto ``path``."""
    temporary = path.with_name(f".{path.stem}.partial{suffix or path.suffix}")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def _write_json(path: Path, data: dict) -> None:
    _write_atomic(path, lambda p: p.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8"))


def read_state(run_dir: str | os.PathLike) -> dict:
    """``state.json`` of a run, or ``{}`` if there is none yet."""
    path = Path(run_dir) / STATE_FILE
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CyclesemError(f"cannot read the run state ({exc})", path) from None


def check_new_run_folder(run_dir: str | os.PathLike, *, overwrite: bool = False) -> None:
    """Raise unless a new run may start in ``run_dir`` (changes nothing).

    A non-empty folder is refused unless ``overwrite``; even then only a folder
    holding nothing but run files (``config.json``, ``checkpoints/``, ...) may
    be emptied, never any other folder.

    Raises
    ------
    CyclesemError
        If the folder is not empty (and not ``overwrite``), or not a run folder.
    """
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise CyclesemError("the output exists and is not a folder", run_dir)
    entries = sorted(p.name for p in run_dir.iterdir()) if run_dir.exists() else []
    if entries and not overwrite:
        raise CyclesemError("the output folder is not empty: pass --resume to continue the run "
                            "in it or --overwrite to start again", run_dir)
    foreign = [name for name in entries if name not in _RUN_ITEMS and not name.startswith(".")]
    if foreign:
        raise CyclesemError(f"refusing to overwrite: the folder holds files that are not part of "
                            f"a run ({', '.join(foreign[:3])})", run_dir)


def prepare_run_folder(run_dir: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Check ``run_dir`` (:func:`check_new_run_folder`), empty it if allowed, create it."""
    check_new_run_folder(run_dir, overwrite=overwrite)
    run_dir = Path(run_dir)
    for entry in (sorted(run_dir.iterdir()) if run_dir.exists() else []):
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    run_dir.mkdir(parents=True, exist_ok=True)
    return run_dir


def choose_strategy():
    """``MirroredStrategy`` over all GPUs when there are several, else the default strategy."""
    tf = require_tensorflow()
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy([gpu.name for gpu in gpus])
    return tf.distribute.get_strategy()


# --- checkpoints -------------------------------------------------------------------------------

def _checkpoint_variables(task, model) -> dict:
    groups = {"model": list(model.variables)}
    for name, optimizer in task.optimizers(model).items():
        groups[f"optimizer.{name}"] = list(optimizer.variables)
    return groups


def _checkpoint_path(run_dir: Path, step: int) -> Path:
    return run_dir / CHECKPOINTS / f"step_{step:06d}.npz"


def latest_checkpoint(run_dir: str | os.PathLike) -> Path | None:
    """The newest ``checkpoints/step_N.npz`` of a run, or None."""
    found = sorted((Path(run_dir) / CHECKPOINTS).glob("step_*.npz"))
    return found[-1] if found else None


def _save_checkpoint(task, model, run_dir: Path, step: int) -> Path:
    keras = require_keras()
    arrays = {"step": np.int64(step)}
    for group, variables in _checkpoint_variables(task, model).items():
        for index, variable in enumerate(variables):
            arrays[f"{group}:{index:05d}"] = keras.ops.convert_to_numpy(variable.value)
    path = _checkpoint_path(run_dir, step)
    path.parent.mkdir(exist_ok=True)

    def write(temporary: Path):
        with open(temporary, "wb") as fh:
            np.savez(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())

    _write_atomic(path, write)
    for old in sorted(path.parent.glob("step_*.npz"))[:-task.settings.keep_checkpoints]:
        old.unlink()
    return path


def _restore_checkpoint(task, model, path: Path) -> int:
    try:
        with np.load(path) as stored:
            arrays = {key: stored[key] for key in stored.files}
    except (OSError, ValueError) as exc:
        raise CyclesemError(f"cannot read the checkpoint ({exc})", path) from None
    for group, variables in _checkpoint_variables(task, model).items():
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


def _write_png(path: Path, image: np.ndarray) -> None:
    import cv2

    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise CyclesemError("cannot encode the sample image", path)
    path.parent.mkdir(exist_ok=True)
    _write_atomic(path, lambda p: p.write_bytes(encoded.tobytes()))


class _LossLog:
    """``losses.csv`` (and TensorBoard scalars when tensorboard is installed)."""

    def __init__(self, run_dir: Path, start_step: int):
        self.path = run_dir / LOSSES_CSV
        self.rows = self._read_until(start_step)
        self.writer = None
        if importlib.util.find_spec("tensorboard") is not None:
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

        _write_atomic(self.path, write)


# --- the run -------------------------------------------------------------------------------------

class _Session:
    """The bookkeeping of one call of :func:`train`: what to write and when."""

    def __init__(self, task, model, run_dir: Path, start_step: int, log: Callable[[str], None]):
        self.task, self.model, self.run_dir, self.log = task, model, run_dir, log
        self.settings = task.settings
        self.step = start_step
        self.saved_step = self.sampled_step = None
        self.previous_seconds = float(read_state(run_dir).get("seconds", 0.0)) if start_step else 0.0
        self.started = time.monotonic()
        self.losses = _LossLog(run_dir, start_step)
        self.best = read_state(run_dir).get("best") if start_step else None

    @property
    def seconds(self) -> float:
        return self.previous_seconds + time.monotonic() - self.started

    def after_step(self, logs: dict) -> None:
        self.step += 1
        every = self.settings
        row = {}
        if self.step % every.log_every == 0 or self.step == every.steps:
            row.update((k, float(v)) for k, v in logs.items())
        if hasattr(self.task, "validate") and (self.step % every.validate_every == 0
                                               or self.step == every.steps):
            row.update(self.validate())
        if row:
            self.losses.add(self.step, self.seconds, row)
        if self.step % every.sample_every == 0:
            self.write_sample()
        if self.step % every.checkpoint_every == 0:
            self.save()

    def validate(self) -> dict:
        """Score the model on the task's validation data; export it as ``best.keras`` if best so far."""
        scores = {k: float(v) for k, v in self.task.validate(self.model).items()}
        if not scores:
            return {}
        key = self.task.best_metric
        improved = self.best is None or scores[key] > self.best[key]
        if improved:
            exported = self.task.export_model(self.model)
            _write_atomic(self.run_dir / BEST_MODEL_FILE, exported.save)
            self.best = {"step": self.step, **scores}
        shown = ", ".join(f"{k} {v:.4g}" for k, v in scores.items())
        self.log(f"step {self.step}: validation {shown}" + (" (best so far)" if improved else ""))
        return {f"val_{k}": v for k, v in scores.items()}

    def write_sample(self) -> None:
        if self.sampled_step == self.step:
            return
        rows = self.task.sample_rows(self.model)
        _write_png(self.run_dir / SAMPLES / f"step_{self.step:06d}.png", grid_image(rows))
        self.sampled_step = self.step

    def save(self, *, finished: bool = False) -> None:
        """Checkpoint, exported network, losses and state, each written atomically."""
        checkpoint = _checkpoint_path(self.run_dir, self.step)
        if self.saved_step != self.step:
            checkpoint = _save_checkpoint(self.task, self.model, self.run_dir, self.step)
            exported = self.task.export_model(self.model)
            _write_atomic(self.run_dir / MODEL_FILE, exported.save)
            self.saved_step = self.step
        self.losses.flush()
        state = {
            "step": self.step, "steps": self.settings.steps, "kind": self.task.kind,
            "seconds": round(self.seconds, 1), "finished": finished,
            "checkpoint": checkpoint.relative_to(self.run_dir).as_posix(),
        }
        _write_json(self.run_dir / STATE_FILE, state | ({"best": self.best} if self.best else {}))


def _callback(session: _Session, bar):
    keras = require_keras()

    class RunnerCallback(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            logs = logs or {}
            session.after_step(logs)
            bar.update(1)
            shown = getattr(session.task, "progress_keys", None) or list(logs)[:4]
            bar.set_postfix({k: f"{float(logs[k]):.3g}" for k in shown if k in logs}, refresh=False)

    return RunnerCallback()


def train(task, run_dir: str | os.PathLike, *, resume: bool = False, strategy=None,
          progress: bool = True, log: Callable[[str], None] | None = None) -> TrainingResult:
    """Train ``task``'s model in ``run_dir`` up to ``task.settings.steps`` steps.

    Parameters
    ----------
    task : TrainingTask
        The model kind's parts (see :class:`TrainingTask`).
    run_dir : str or os.PathLike
        The run folder. A new run needs it empty or absent
        (:func:`prepare_run_folder` first); ``resume`` continues from its
        latest checkpoint.
    resume : bool
        Restore the latest checkpoint and continue from its step.
    strategy : tf.distribute.Strategy, optional
        Defaults to :func:`choose_strategy`.
    progress : bool
        Show a progress bar.
    log : callable, optional
        Receives one-line messages (default: written above the progress bar).

    Returns
    -------
    TrainingResult

    Raises
    ------
    KeyboardInterrupt
        After saving a checkpoint at the last completed step.
    """
    from tqdm.auto import tqdm

    keras = require_keras()
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    log = log or tqdm.write
    settings = task.settings
    strategy = strategy or choose_strategy()
    if settings.batch % strategy.num_replicas_in_sync:
        raise CyclesemError(f"the batch ({settings.batch}) must be a multiple of the number of "
                            f"devices ({strategy.num_replicas_in_sync})")
    keras.utils.set_random_seed(settings.seed)
    with strategy.scope():
        model = task.build_model()
    start = _resume_step(task, model, run_dir, log) if resume else 0
    _write_json(run_dir / CONFIG_FILE, task.config_dict())
    session = _Session(task, model, run_dir, start, log)
    if start < settings.steps:
        with tqdm(total=settings.steps, initial=start, unit="step", disable=not progress,
                  dynamic_ncols=True) as bar:
            try:
                model.fit(task.dataset(start), epochs=1, steps_per_epoch=settings.steps - start,
                          shuffle=False, verbose=0, callbacks=[_callback(session, bar)])
            except KeyboardInterrupt:
                session.step = task.completed_steps(model)
                session.save()
                log(f"Interrupted: checkpoint saved at step {session.step} in {run_dir}")
                raise
    session.step = task.completed_steps(model)
    session.write_sample()
    session.save(finished=session.step >= settings.steps)
    return TrainingResult(session.step, session.seconds, run_dir, model)


def _resume_step(task, model, run_dir: Path, log) -> int:
    checkpoint = latest_checkpoint(run_dir)
    if checkpoint is None:
        log(f"{run_dir}: no checkpoint yet, starting from step 0")
        return 0
    step = _restore_checkpoint(task, model, checkpoint)
    log(f"Resuming from step {step} ({checkpoint.name})")
    return step
