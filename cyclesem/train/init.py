"""Starting a new run from trained weights: ``cyclesem train --init NAME|RUN``.

The source is a packaged model (:mod:`cyclesem.pretrained`) or a run folder.
Its exported network (``best.keras`` or ``generator.keras``) is copied into the
new run's restoration network before the first step: a paired run's network
(``model.network``), a CycleGAN's blurry-to-clear generator
(``model.gen_blurry_to_clear``).

The CLI resolves the source once (:func:`init_settings`): the config settings
that give the new run the source's network, layered under the user's own, and
the source as the config records it (``train.init``: a packaged model's name or
an absolute folder). :func:`run_training <cyclesem.train.tasks.run_training>`
then wraps a new run's task in :class:`InitialisedTask`, which refuses, in one
line and before the run folder is touched, a network of another architecture.
Resuming a run ignores ``train.init``: the checkpoint holds the weights.
"""

from __future__ import annotations

import os
from pathlib import Path

from cyclesem.config import saved_config, to_dict
from cyclesem.config.supervised import SKIPS
from cyclesem.errors import CyclesemError

__all__ = ["TARGET_NETWORKS", "InitialisedTask", "copy_weights", "init_settings"]

TARGET_NETWORKS = {"cyclegan": "gen_blurry_to_clear", "midnet": "network", "nafnet": "network"}
"""The attribute of each kind's training model that ``--init`` loads into."""


def init_settings(source: str | os.PathLike, kind: str) -> tuple[str, dict]:
    """How a new run of ``kind`` gets the network of ``source``.

    Parameters
    ----------
    source : str or os.PathLike
        A packaged model's name or a run folder.
    kind : {"cyclegan", "midnet", "nafnet"}
        The new run's model kind.

    Returns
    -------
    recorded : str
        The source as ``train.init`` records it: the model's name, or the
        folder's absolute path.
    settings : dict
        Config settings (to go under the user's ``--config`` file): a paired
        run takes a paired source's ``kind`` and ``model`` group; a CycleGAN
        takes a MIDNet source as its physical CycleGAN's restorer, or a
        CycleGAN source's restorer settings. Empty when nothing fits (the
        weights are then refused unless the networks happen to match).

    Raises
    ------
    CyclesemError
        If ``source`` is neither a model name nor a run folder.
    """
    from cyclesem.pretrained import is_model_name, resolve

    folder = resolve(source)
    recorded = str(source) if is_model_name(str(source)) and not Path(source).exists() else str(folder.resolve())
    saved = saved_config(folder)
    return recorded, _network_settings(saved, kind)


def _network_settings(saved, kind: str) -> dict:
    """Settings that give a run of ``kind`` the restoration network of the saved config ``saved``."""
    if saved.kind in SKIPS:
        midnet = to_dict(saved.model)
        if kind in SKIPS:
            return {"kind": saved.kind, "model": midnet}
        return {"model": {"degradation": "physical", "restorer": "midnet", "midnet": midnet}}
    model = saved.model
    if kind in SKIPS:
        return {"kind": "midnet", "model": to_dict(model.midnet)} if model.restorer == "midnet" else {}
    restorer = {"restorer": model.restorer, "generator": to_dict(model.generator), "midnet": to_dict(model.midnet)}
    return {"model": restorer | ({"degradation": "physical"} if model.restorer == "midnet" else {})}


def copy_weights(source, target, what: str) -> None:
    """Set ``target``'s weights to ``source``'s (Keras models of one architecture).

    Raises
    ------
    CyclesemError
        If the weight lists differ in length or any shape (naming ``what``).
    """
    weights, expected = source.get_weights(), target.get_weights()
    if [w.shape for w in weights] != [w.shape for w in expected]:
        raise CyclesemError(
            f"--init {what}: its network ({len(weights)} weight arrays, {sum(w.size for w in weights)} "
            f"values) is not this run's ({len(expected)} arrays, {sum(w.size for w in expected)} values); "
            f"train the same model kind and sizes (drop --set/--config network sizes)")
    target.set_weights(weights)


class InitialisedTask:
    """A new run's training task whose restoration network starts from a run's or model's weights.

    Everything but :meth:`build_model` is the wrapped task's. The source's
    network is loaded (safe mode) and checked against the task's network
    here, so a mismatch stops before the run folder is emptied.

    Parameters
    ----------
    task : cyclesem.train.runner.TrainingTask
        The new run's task (``kind`` a key of :data:`TARGET_NETWORKS`).
    source : str or os.PathLike
        A packaged model's name or a run folder (``config.train.init``).

    Raises
    ------
    CyclesemError
        If the source does not load, or its network differs from the task's.
    """

    def __init__(self, task, source: str | os.PathLike):
        if task.kind not in TARGET_NETWORKS:
            raise CyclesemError(f"--init cannot start a run of kind {task.kind!r}")
        self.task = task
        self.what = str(source)
        self.network, self.source_line = _source_network(source)
        self._load_into(task.build_model())  # the check; the runner builds its own model

    def __getattr__(self, name):
        return getattr(self.task, name)

    def describe(self) -> str:
        """One line naming the source, for the training log."""
        return f"starting from {self.source_line}"

    def _load_into(self, model):
        copy_weights(self.network, getattr(model, TARGET_NETWORKS[self.task.kind]), self.what)
        return model

    def build_model(self):
        """The wrapped task's model, its restoration network holding the source's weights."""
        return self._load_into(self.task.build_model())


def _source_network(source: str | os.PathLike):
    """The exported network of a run folder or packaged model (safe mode) and the line describing the run.

    Raises
    ------
    CyclesemError
        If ``source`` is not a run folder or model, or its network does not load.
    """
    from cyclesem.config import config_from_dict
    from cyclesem.io.run_folder import CONFIG_FILE, describe_run, exported_network_file, read_run_files
    from cyclesem.nets.saving import load_network_file
    from cyclesem.pretrained import resolve

    folder = resolve(source)
    saved, state = read_run_files(folder)
    config = config_from_dict(saved, source=str(folder / CONFIG_FILE))
    return load_network_file(exported_network_file(folder)), describe_run(folder, config.kind, config.preset, state)
