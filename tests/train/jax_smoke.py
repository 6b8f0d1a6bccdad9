"""Run under ``KERAS_BACKEND=jax`` with TensorFlow hidden (by :mod:`tests.train.test_jax`, in a subprocess).

Trains the physically constrained CycleGAN and the supervised MIDNet (micro
configs like those of ``tests/train/test_physical.py`` and ``test_supervised.py``)
4 steps straight and 2 + 2 resumed, in run folders ``{physical,midnet}_{straight,resumed}``
under ``sys.argv[1]``; enhances an image with the MIDNet run (prints ``ENHANCED True``),
tries the paper's CycleGAN (prints ``REFUSED`` and its one-line error), and prints
``TENSORFLOW_IMPORTED`` if anything imported TensorFlow.
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


def _enhance_and_refuse(root: str) -> None:
    """Enhance with the JAX-trained MIDNet under JAX; the paper's CycleGAN refuses JAX in one line."""
    import dataclasses

    from cyclesem.errors import CyclesemError
    from cyclesem.restore.runs import load_run
    from cyclesem.train.cyclegan import cyclegan_task

    image = np.random.default_rng(2).random((37, 45)).astype(np.float32)
    restored = load_run(f"{root}/midnet_resumed").enhance(image)
    print("ENHANCED", restored.shape == image.shape and bool(np.isfinite(restored).all()), flush=True)
    config = physical_config(2)
    paper = dataclasses.replace(config, model=dataclasses.replace(config.model, degradation="unet"))
    try:
        cyclegan_task(paper, *unpaired_images())
    except CyclesemError as error:
        print("REFUSED", str(error), flush=True)


def main(root: str) -> None:
    sys.meta_path.insert(0, _NoTensorFlow())
    import keras

    from cyclesem.train.cyclegan import cyclegan_task
    from cyclesem.train.run_folder import prepare_run_folder
    from cyclesem.train.runner import train
    from cyclesem.train.supervised import SupervisedTask

    def run(task, folder, **kwargs):
        keras.backend.clear_session()  # the same layer names each time: the compiled step comes from the cache
        return train(task, folder, progress=False, log=print, **kwargs)

    def straight_and_resumed(name, make_task):
        run(make_task(4), prepare_run_folder(f"{root}/{name}_straight"))
        resumed = prepare_run_folder(f"{root}/{name}_resumed")
        run(make_task(2), resumed)
        run(make_task(4), resumed, resume=True)

    images = unpaired_images()
    straight_and_resumed("physical", lambda steps: cyclegan_task(physical_config(steps), *images))
    straight_and_resumed("midnet", lambda steps: SupervisedTask(supervised_config(steps), *pairs()))
    _enhance_and_refuse(root)
    print("TENSORFLOW_IMPORTED" if "tensorflow" in sys.modules else "no tensorflow", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
