"""Run under ``KERAS_BACKEND=jax`` with TensorFlow hidden (by :mod:`tests.train.test_jax`, in a subprocess).

Trains the physically constrained CycleGAN 4 steps straight and 2 + 2 resumed,
and the supervised MIDNet 2 + 2 steps (the micro configs of
``tests/train/test_physical.py`` and ``test_supervised.py``), in run folders
under ``sys.argv[1]``; prints ``TENSORFLOW_IMPORTED`` if anything imported TensorFlow.
"""

from __future__ import annotations

import importlib.abc
import sys

import numpy as np


class _NoTensorFlow(importlib.abc.MetaPathFinder):
    """Makes ``import tensorflow`` fail, as on a machine without TensorFlow."""

    def find_spec(self, name, path=None, target=None):
        if name == "tensorflow" or name.startswith("tensorflow."):
            raise ImportError(f"{name} is hidden by the test")
        return None


PHYSICAL = ("model.midnet.width=4", "model.discriminator.width=4", "model.physical.psf_radius=6",
            "model.physical.warmup=0.3", "data.norm_range=[0.0, 1.0]")
SUPERVISED = ("model.width=4", "model.enc_blocks=[1]", "model.dec_blocks=[1]")


def physical_config(steps: int):
    from cyclesem.config.cyclegan import resolve_cyclegan_config

    options = {"train": {"steps": steps, "crop": 32, "batch": 4, "seed": 5, "checkpoint_every": 2,
                         "sample_every": 100, "log_every": 1}}
    return resolve_cyclegan_config("tiny", overrides=PHYSICAL, options=options)


def supervised_config(steps: int):
    from cyclesem.config.supervised import resolve_supervised_config

    options = {"train": {"steps": steps, "crop": 32, "batch": 2, "seed": 3, "checkpoint_every": 2,
                         "sample_every": 100, "log_every": 1, "validate_every": 2, "validation_crops": 4}}
    return resolve_supervised_config("midnet", "tiny", overrides=SUPERVISED, options=options)


def unpaired_images():
    rng = np.random.default_rng(0)
    clear = [rng.random((40, 48)).astype(np.float32) for _ in range(2)]
    return [c * np.float32(0.8) + np.float32(0.1) for c in clear[::-1]], clear


def pairs():
    from cyclesem.data.pairs import LoadedPair

    rng = np.random.default_rng(0)

    def pair(name, shape=(40, 48)):
        sharp = rng.random(shape).astype(np.float32)
        return LoadedPair(name, (0.5 * sharp + 0.2).astype(np.float32), sharp, (0.0, 0.0))

    return [pair("t0"), pair("t1")], [pair("v0", (36, 70))]


def main(root: str) -> None:
    sys.meta_path.insert(0, _NoTensorFlow())
    from cyclesem.train.run_folder import prepare_run_folder
    from cyclesem.train.runner import train
    from cyclesem.train.supervised import SupervisedTask
    from cyclesem.train.cyclegan import cyclegan_task

    def run(task, folder, **kwargs):
        return train(task, folder, progress=False, log=print, **kwargs)

    images = unpaired_images()
    run(cyclegan_task(physical_config(4), *images), prepare_run_folder(f"{root}/physical_straight"))
    resumed = prepare_run_folder(f"{root}/physical_resumed")
    run(cyclegan_task(physical_config(2), *images), resumed)
    run(cyclegan_task(physical_config(4), *images), resumed, resume=True)
    supervised = prepare_run_folder(f"{root}/midnet")
    run(SupervisedTask(supervised_config(2), *pairs()), supervised)
    run(SupervisedTask(supervised_config(4), *pairs()), supervised, resume=True)
    print("TENSORFLOW_IMPORTED" if "tensorflow" in sys.modules else "no tensorflow", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
