"""One way to create, start and resume the training of any model kind.

:func:`task_for` turns a resolved config into its kind's runner task with the
training data the config names loaded (:class:`~cyclesem.train.cyclegan.CycleGanTask`
for ``"cyclegan"``, :class:`~cyclesem.train.supervised.SupervisedTask` for
``"midnet"`` and ``"nafnet"``). :func:`run_training` starts a new run or
continues one; :func:`resume_training` rebuilds the config saved in a run
folder and continues it. The CLI, the demo and the experiments all train
through these functions.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Callable

from cyclesem.backend import keras_backend
from cyclesem.config import saved_config
from cyclesem.errors import CyclesemError
from cyclesem.io.run_folder import check_new_run_folder, prepare_run_folder, remove_interrupted_writes

__all__ = ["cyclegan_task", "resume_training", "run_training", "task_for"]

Log = Callable[[str], None]


def task_for(config, *, log: Log | None = None, progress: bool = False):
    """The training task of ``config.kind``, with the training data ``config.data`` names loaded.

    Parameters
    ----------
    config : CycleGanConfig or SupervisedConfig
        A resolved config (:func:`cyclesem.config.resolve_config`).
    log : callable, optional
        Receives one line per skipped file or pair and the counts loaded.
    progress : bool
        Show a progress bar while loading pairs.

    Returns
    -------
    CycleGanTask, PhysicalCycleGanTask or SupervisedTask

    Raises
    ------
    CyclesemError
        If the data does not load (see :func:`cyclesem.data.images.load_unpaired`
        and :func:`cyclesem.data.pairs.load_training_pairs`).
    """
    from cyclesem.data.images import echo_failures, load_unpaired

    if config.kind == "cyclegan":
        data, blurry, clear = load_unpaired(config.data, log=log)
        return cyclegan_task(dataclasses.replace(config, data=data), blurry, clear)
    from cyclesem.data.pairs import load_training_pairs
    from cyclesem.train.supervised import SupervisedTask

    data = load_training_pairs(config, progress=progress)
    echo_failures(data.failures, "pair(s) that did not load", log)
    if log is not None:
        log(f"{len(data.train.pairs)} training pair(s), {len(data.validation.pairs)} validation "
            f"pair(s){' (registered)' if config.data.register else ''}")
    return SupervisedTask(config, data.train.pairs, data.validation.pairs)


def cyclegan_task(config, blurry: list, clear: list):
    """The unpaired task ``config.model.degradation`` names: ``physical`` or ``unet`` (the paper's CycleGAN).

    Raises
    ------
    CyclesemError
        For the paper's CycleGAN under a Keras backend other than TensorFlow
        (its image pools and train step are TensorFlow code).
    """
    if config.model.degradation == "physical":
        from cyclesem.train.physical import PhysicalCycleGanTask

        return PhysicalCycleGanTask(config, blurry, clear)
    from cyclesem.train.cyclegan import CycleGanTask

    if keras_backend() != "tensorflow":
        raise CyclesemError(f"the paper's CycleGAN (model.degradation={config.model.degradation}) trains under "
                            f"TensorFlow only, not KERAS_BACKEND={keras_backend()}: use "
                            "model.degradation=physical or KERAS_BACKEND=tensorflow")
    return CycleGanTask(config, blurry, clear)


def run_training(config, run_dir: str | os.PathLike, *, resume: bool = False, overwrite: bool = False,
                 progress: bool = True, log: Log | None = None, strategy=None):
    """Train ``config``'s model in ``run_dir``: a new run, or the run there continued.

    A new run checks the folder first (:func:`cyclesem.io.run_folder.check_new_run_folder`),
    then loads the data and, when ``config.train.init`` names a source, its
    weights (:class:`cyclesem.train.init.InitialisedTask`), then empties the
    folder and trains. Resuming first removes what a write killed half-way left
    (:func:`cyclesem.io.run_folder.remove_interrupted_writes`).

    Parameters
    ----------
    config : CycleGanConfig or SupervisedConfig
        The resolved config.
    run_dir : str or os.PathLike
        The run folder.
    resume : bool
        Continue from the folder's latest checkpoint.
    overwrite : bool
        A new run may replace an earlier run in ``run_dir``.
    progress : bool
        Show progress bars.
    log : callable, optional
        Receives one-line messages.
    strategy : tf.distribute.Strategy, optional
        See :func:`cyclesem.train.runner.train`.

    Returns
    -------
    cyclesem.train.runner.TrainingResult
    """
    from cyclesem.train.runner import train

    if not resume:
        check_new_run_folder(run_dir, overwrite=overwrite)
    task = task_for(config, log=log, progress=progress)
    if not resume and config.train.init:
        from cyclesem.train.init import InitialisedTask

        task = InitialisedTask(task, config.train.init)
        if log is not None:
            log(task.describe())
    if not resume:
        prepare_run_folder(run_dir, overwrite=overwrite)
    else:
        removed = remove_interrupted_writes(run_dir)
        if removed and log is not None:
            log(f"removed {len(removed)} unfinished file(s) of an interrupted write ({removed[0].name}, ...)")
    return train(task, run_dir, resume=resume, strategy=strategy, progress=progress, log=log)


def resume_training(run_dir: str | os.PathLike, *, steps: int | None = None, progress: bool = True,
                    log: Log | None = None, strategy=None):
    """Continue the run in ``run_dir`` (any model kind) from its latest checkpoint, to ``steps`` if given."""
    return run_training(saved_config(run_dir, steps=steps), run_dir, resume=True, progress=progress,
                        log=log, strategy=strategy)
