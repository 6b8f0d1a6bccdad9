"""The training runner: run folder, checkpoints, resume, progress, strategies, export.

The runner knows nothing about the model it trains. A **task** object supplies
the model-specific parts (:class:`TrainingTask`); :func:`train` does the rest
(the files themselves are written by :mod:`cyclesem.train.run_files`):

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
  than one GPU is visible; under a Keras backend other than TensorFlow, such
  as ``KERAS_BACKEND=jax``, no TensorFlow at all and ``keras.distribution.DataParallel``
  when the backend sees more than one device), with a tqdm progress bar (step, losses, steps per
  second, ETA); Ctrl-C saves a checkpoint, then re-raises ``KeyboardInterrupt``.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

from cyclesem.backend import keras_backend, require_keras
from cyclesem.errors import CyclesemError
from cyclesem.io.outputs import write_atomic
from cyclesem.io.run_folder import (
    BEST_MODEL_FILE,
    CONFIG_FILE,
    MODEL_FILE,
    RESULT_FILES,
    SAMPLES,
    STATE_FILE,
    checkpoint_path,
    latest_checkpoint,
    read_state,
)
from cyclesem.train.run_files import LossLog, grid_image, restore_checkpoint, save_checkpoint, write_json, write_png
from cyclesem.train.strategies import choose_strategy, run_scope

__all__ = ["TrainingResult", "TrainingTask", "train"]


class TrainingTask(Protocol):
    """What a model kind supplies to :func:`train`.

    Attributes
    ----------
    kind : str
        ``"cyclegan"``, ``"midnet"``, ... (written to ``state.json``).
    settings : cyclesem.config.common.TrainSettings
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
    """Where a call of :func:`train` ended (of ``steps``), the trained model, and its best-score metric."""

    step: int
    seconds: float
    run_dir: Path
    model: object = field(default=None, repr=False)
    steps: int | None = None
    best_metric: str | None = None


# --- the run -------------------------------------------------------------------------------------

def _checkpoint_variables(task, model) -> dict:
    """Everything a checkpoint holds: the model's variables and each optimizer's."""
    groups = {"model": list(model.variables)}
    for name, optimizer in task.optimizers(model).items():
        groups[f"optimizer.{name}"] = list(optimizer.variables)
    return groups


class _Session:
    """The bookkeeping of one call of :func:`train`: what to write and when."""

    def __init__(self, task, model, run_dir: Path, start_step: int, log: Callable[[str], None]):
        self.task, self.model, self.run_dir, self.log = task, model, run_dir, log
        self.settings = task.settings
        self.step = start_step
        self.saved_step = self.sampled_step = None
        self.previous_seconds = _earlier_seconds(read_state(run_dir)) if start_step else 0.0
        self.started = time.monotonic()
        self.losses = LossLog(run_dir, start_step)
        self.best = read_state(run_dir).get("best") if start_step else None

    @property
    def seconds(self) -> float:
        return self.previous_seconds + time.monotonic() - self.started

    def needs_model(self) -> bool:
        """Whether the step about to be counted reads the model (validation, sample or checkpoint)."""
        step, every = self.step + 1, self.settings
        return (step == every.steps or any(step % n == 0 for n in (
            every.sample_every, every.checkpoint_every, getattr(every, "validate_every", every.steps))))

    def after_step(self, logs: dict) -> None:
        self.stop_if_not_finite(logs)
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

    def stop_if_not_finite(self, logs: dict) -> None:
        """Stop on a non-finite loss, keeping the losses logged so far and the last checkpoint."""
        bad = {k: float(v) for k, v in logs.items() if not math.isfinite(float(v))}
        if not bad:
            return
        self.losses.flush()
        last = latest_checkpoint(self.run_dir)
        kept = f"the last good checkpoint ({last.name}) is kept" if last else "no checkpoint was saved"
        shown = ", ".join(f"{k} = {v}" for k, v in bad.items())
        raise CyclesemError(f"training stopped at step {self.step + 1}: non-finite loss ({shown}); {kept}; "
                            f"try a lower learning rate", self.run_dir)

    def validate(self) -> dict:
        """Score the model on the task's validation data; export it as ``best.keras`` if best so far."""
        scores = {k: float(v) for k, v in self.task.validate(self.model).items()}
        if not scores:
            return {}
        key = self.task.best_metric
        improved = self.best is None or scores[key] > self.best[key]
        if improved:
            exported = self.task.export_model(self.model)
            write_atomic(self.run_dir / BEST_MODEL_FILE, exported.save)
            self.best = {"step": self.step, **scores}
        shown = ", ".join(f"{k} {v:.4g}" for k, v in scores.items())
        self.log(f"step {self.step}: validation {shown}" + (" (best so far)" if improved else ""))
        return {f"val_{k}": v for k, v in scores.items()}

    def write_sample(self) -> None:
        if self.sampled_step == self.step:
            return
        rows = self.task.sample_rows(self.model)
        write_png(self.run_dir / SAMPLES / f"step_{self.step:06d}.png", grid_image(rows))
        self.sampled_step = self.step

    def save(self, *, finished: bool = False) -> None:
        """Losses, checkpoint, exported network and state, each written atomically (losses first:
        a kill while the checkpoint is written keeps the rows logged so far)."""
        self.losses.flush()
        checkpoint = checkpoint_path(self.run_dir, self.step)
        if self.saved_step != self.step:
            checkpoint = save_checkpoint(_checkpoint_variables(self.task, self.model), self.run_dir,
                                         self.step, keep=self.settings.keep_checkpoints)
            exported = self.task.export_model(self.model)
            write_atomic(self.run_dir / MODEL_FILE, exported.save)
            for name, content in getattr(self.task, "run_files", lambda model: {})(self.model).items():
                write_json(self.run_dir / RESULT_FILES[name], content)
            self.saved_step = self.step
        state = {
            "step": self.step, "steps": self.settings.steps, "kind": self.task.kind,
            "seconds": round(self.seconds, 1), "finished": finished,
            "checkpoint": checkpoint.relative_to(self.run_dir).as_posix(), "backend": keras_backend(),
        }
        write_json(self.run_dir / STATE_FILE, state | ({"best": self.best} if self.best else {}))


def _callback(session: _Session, bar):
    keras = require_keras()

    class RunnerCallback(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            logs = logs or {}
            if session.needs_model():
                _ = self.model  # under JAX this copies the step's state into the model's variables
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
    strategy : tf.distribute.Strategy, DataParallel or SingleDevice, optional
        Defaults to :func:`~cyclesem.train.strategies.choose_strategy`. The model is built in its
        scope; a :class:`~cyclesem.train.strategies.DataParallel`'s scope holds the whole run.
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
    if strategy.num_replicas_in_sync > 1:
        log(f"Training on {strategy.num_replicas_in_sync} devices, {settings.batch // strategy.num_replicas_in_sync} "
            f"of each batch of {settings.batch} on each")
    with run_scope(strategy):
        with strategy.scope():
            model = task.build_model()
        start = _resume_step(task, model, run_dir, log) if resume else 0
        write_json(run_dir / CONFIG_FILE, task.config_dict())
        session = _Session(task, model, run_dir, start, log)
        if start < settings.steps:
            with tqdm(total=settings.steps, initial=start, unit="step", disable=not progress,
                      dynamic_ncols=True) as bar:
                _fit(task, model, session, bar)
        session.step = task.completed_steps(model)
        session.write_sample()
        session.save(finished=session.step >= settings.steps)
    return TrainingResult(session.step, session.seconds, run_dir, model, settings.steps,
                          getattr(task, "best_metric", None))


def _fit(task, model, session: _Session, bar) -> None:
    """``fit()`` from the session's step to the last; on Ctrl-C save a checkpoint, then re-raise."""
    try:
        model.fit(task.dataset(session.step), epochs=1, steps_per_epoch=task.settings.steps - session.step,
                  shuffle=False, verbose=0, callbacks=[_callback(session, bar)])
    except KeyboardInterrupt:
        getattr(model, "jax_state_sync", lambda: None)()
        session.step = task.completed_steps(model)
        session.save()
        session.log(f"Interrupted: checkpoint saved at step {session.step} in {session.run_dir}")
        raise


def _earlier_seconds(state: dict) -> float:
    """Training seconds ``state.json`` records; 0 when missing, damaged or not finite."""
    try:
        seconds = float(state.get("seconds", 0.0))
    except (TypeError, ValueError):
        return 0.0
    return seconds if math.isfinite(seconds) and seconds >= 0 else 0.0


def _resume_step(task, model, run_dir: Path, log) -> int:
    checkpoint = latest_checkpoint(run_dir)
    if checkpoint is None:
        log(f"{run_dir}: no checkpoint yet, starting from step 0")
        return 0
    written_by = read_state(run_dir).get("backend", "tensorflow")
    if written_by != keras_backend():
        log(f"Resuming under {keras_backend()} a run trained under {written_by} (checkpoints are numpy arrays)")
    step = restore_checkpoint(_checkpoint_variables(task, model), checkpoint)
    log(f"Resuming from step {step} ({checkpoint.name})")
    return step
