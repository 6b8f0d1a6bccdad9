"""Starting a training run from trained weights: ``cyclesem train --init NAME|RUN``.

The source is a packaged model (:mod:`cyclesem.pretrained`) or a run folder;
its enhancement network (``generator.keras``, or ``best.keras``) is copied into
the new run's network before the first step: a paired run's restoration
network, a CycleGAN's blurry-to-clear generator (``gen_blurry_to_clear``). The
two must be the same architecture (same weights, same shapes); :func:`init_defaults`
gives the settings that make the new run's network the source's, to layer
under the user's own. The source is recorded in ``RUN/init.json``.

Keras and TensorFlow are imported when a source is loaded, not before.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from cyclesem.errors import CyclesemError
from cyclesem.pretrained import resolve

__all__ = ["INIT_FILE", "TARGET_NETWORKS", "init_defaults", "copy_weights", "InitialisedTask"]

INIT_FILE = "init.json"
TARGET_NETWORKS = {"midnet": "network", "nafnet": "network", "cyclegan": "gen_blurry_to_clear"}
"""The attribute of each kind's training model that ``--init`` loads into."""

_PAIRED = ("midnet", "nafnet")


def _source_config(source: str | os.PathLike) -> dict:
    path = resolve(source) / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CyclesemError(f"cannot read the --init source's config ({exc})", path) from None
    return config if isinstance(config, dict) else {}


def init_defaults(source: str | os.PathLike, kind: str) -> dict:
    """Config settings that give a new run of ``kind`` the network of ``source``.

    A paired run (``midnet``/``nafnet``) takes a paired source's ``kind`` and
    ``model`` group; a CycleGAN takes a CycleGAN source's ``model.generator``.
    Otherwise nothing (the weights then load only if the networks happen to
    match, see :func:`copy_weights`).
    """
    config = _source_config(source)
    source_kind, model = config.get("kind"), config.get("model")
    if not isinstance(model, dict):
        return {}
    if kind in _PAIRED and source_kind in _PAIRED:
        return {"kind": source_kind, "model": model}
    if kind == "cyclegan" and source_kind == "cyclegan" and isinstance(model.get("generator"), dict):
        return {"model": {"generator": model["generator"]}}
    return {}


def copy_weights(source, target, what: str) -> None:
    """Set ``target``'s weights to ``source``'s (Keras models of one architecture).

    Raises
    ------
    CyclesemError
        If the weight lists differ in length or any shape (naming ``what``).
    """
    weights, expected = source.get_weights(), target.get_weights()
    shapes = [w.shape for w in weights]
    if shapes != [w.shape for w in expected]:
        raise CyclesemError(
            f"cannot start from {what}: its network ({len(weights)} weight arrays, "
            f"{sum(w.size for w in weights)} values) is not this run's ({len(expected)} arrays, "
            f"{sum(w.size for w in expected)} values); train the same model kind and sizes")
    target.set_weights(weights)


class InitialisedTask:
    """A training task whose model starts from the network of a run or packaged model.

    Everything but :meth:`build_model` is the wrapped task's.

    Parameters
    ----------
    task : cyclesem.training.TrainingTask
        The new run's task (``kind`` in :data:`TARGET_NETWORKS`).
    source : str or os.PathLike
        A packaged model name or a run folder.
    run_dir : str or os.PathLike
        The new run's folder, for ``init.json``.
    """

    def __init__(self, task, source: str | os.PathLike, run_dir: str | os.PathLike):
        if task.kind not in TARGET_NETWORKS:
            raise CyclesemError(f"--init cannot start a run of kind {task.kind!r}")
        from cyclesem.runs import load_run

        self.task = task
        self.source = load_run(source)
        self.what = str(source)
        self.run_dir = Path(run_dir)

    def __getattr__(self, name):
        return getattr(self.task, name)

    def build_model(self):
        """The wrapped task's model, its target network holding the source's weights."""
        model = self.task.build_model()
        copy_weights(self.source.network, getattr(model, TARGET_NETWORKS[self.task.kind]), self.what)
        record = {"init": self.what, "folder": str(self.source.path), "step": self.source.step,
                  "kind": self.source.kind}
        (self.run_dir / INIT_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        return model
