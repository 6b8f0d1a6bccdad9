"""Run under ``KERAS_BACKEND=jax`` with TensorFlow hidden (by :mod:`tests.train.test_jax`, in a subprocess).

Trains the physically constrained CycleGAN and the supervised MIDNet (micro
configs like those of ``tests/train/test_physical.py`` and ``test_supervised.py``)
4 steps straight and 2 + 2 resumed, in run folders ``{physical,midnet}_{straight,resumed}``
under ``sys.argv[1]``: the CycleGAN as a 2-step run continued to 4, the MIDNet as
a 4-step run stopped by Ctrl-C at step 2 (its cosine schedule spans the run's
steps, so a 2-step run would anneal differently). With several devices
(``XLA_FLAGS=--xla_force_host_platform_device_count=2``) every run is data
parallel; each new layout of a batch ``fit()`` makes is printed as ``BATCH shape
shard_shape devices``. Builds a mixed-precision MIDNet (prints ``MIXED`` and its
dtypes), enhances an image with the MIDNet run (prints ``ENHANCED True``), tries
the paper's CycleGAN (prints ``REFUSED`` and its one-line error), and prints
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


def supervised_config(steps: int, *overrides: str, sample_every: int = 100):
    from cyclesem.config.supervised import resolve_supervised_config

    options = {"train": {"steps": steps, "crop": 32, "batch": 2, "seed": 3, "checkpoint_every": 2,
                         "sample_every": sample_every, "log_every": 1, "validate_every": 2, "validation_crops": 3}}
    return resolve_supervised_config("midnet", "tiny", overrides=SUPERVISED + overrides, options=options)


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

    return [pair("t0"), pair("t1")], [pair("v0", (36, 100))]  # 3 validation crops: a batch of 2 and 1


def _interrupted_at_first_sample(task_class):
    """``task_class`` whose first preview raises ``KeyboardInterrupt``, as Ctrl-C there would."""

    class Interrupted(task_class):
        def sample_rows(self, model):
            raise KeyboardInterrupt

    return Interrupted


def _print_batch_layouts() -> None:
    """Print each new layout ``fit()`` gives a batch over the devices: ``BATCH shape shard_shape devices``."""
    import jax
    from keras.src.backend.jax import trainer  # private: where Keras's JAX trainer lays out each batch

    distribute, seen = trainer._distribute_data, set()

    def printing(data, layouts=None):
        distributed = distribute(data, layouts)
        for array in jax.tree_util.tree_leaves(distributed):
            sharding = array.sharding
            layout = (tuple(array.shape), tuple(sharding.shard_shape(array.shape)), len(sharding.device_set))
            if layout not in seen:
                seen.add(layout)
                print("BATCH", *(",".join(map(str, part)) if isinstance(part, tuple) else part for part in layout),
                      flush=True)
        return distributed

    trainer._distribute_data = printing


def _mixed_precision() -> None:
    """Build the MIDNet task with ``runtime.mixed_precision`` and print its dtypes (``MIXED ...``)."""
    import keras

    from cyclesem.train.supervised import SupervisedTask

    model = SupervisedTask(supervised_config(2, "runtime.mixed_precision=true"), *pairs()).build_model()
    restored = model.network(np.zeros((1, 32, 32, 1), np.float32), training=False)
    print("MIXED", model.network.get_layer("intro").compute_dtype, model.network.get_layer("ending").compute_dtype,
          keras.backend.standardize_dtype(restored.dtype), type(model.optimizer).__name__,
          keras.config.dtype_policy().name, flush=True)


def _enhance_and_refuse(root: str) -> None:
    """Enhance with the JAX-trained MIDNet under JAX; the paper's CycleGAN refuses JAX in one line."""
    import dataclasses

    from cyclesem.errors import CyclesemError
    from cyclesem.restore.runs import load_run
    from cyclesem.train.tasks import cyclegan_task

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

    from cyclesem.train.tasks import cyclegan_task
    from cyclesem.io.run_folder import prepare_run_folder
    from cyclesem.train.runner import train
    from cyclesem.train.supervised import SupervisedTask

    def run(task, folder, **kwargs):
        keras.backend.clear_session()  # the same layer names each time: the compiled step comes from the cache
        return train(task, folder, progress=False, log=print, **kwargs)

    _print_batch_layouts()
    images = unpaired_images()
    physical = lambda steps: cyclegan_task(physical_config(steps), *images)  # noqa: E731
    run(physical(4), prepare_run_folder(f"{root}/physical_straight"))
    run(physical(2), prepare_run_folder(f"{root}/physical_resumed"))
    run(physical(4), f"{root}/physical_resumed", resume=True)

    run(SupervisedTask(supervised_config(4), *pairs()), prepare_run_folder(f"{root}/midnet_straight"))
    try:
        stopped = _interrupted_at_first_sample(SupervisedTask)(supervised_config(4, sample_every=2), *pairs())
        run(stopped, prepare_run_folder(f"{root}/midnet_resumed"))
    except KeyboardInterrupt:
        print("INTERRUPTED", flush=True)
    run(SupervisedTask(supervised_config(4), *pairs()), f"{root}/midnet_resumed", resume=True)
    _mixed_precision()
    _enhance_and_refuse(root)
    print("TENSORFLOW_IMPORTED" if "tensorflow" in sys.modules else "no tensorflow", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
