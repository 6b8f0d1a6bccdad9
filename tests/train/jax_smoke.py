"""Run under ``KERAS_BACKEND=jax`` with TensorFlow hidden (by :mod:`tests.train.test_jax`, in a subprocess).

Trains the physically constrained CycleGAN 4 steps straight and 2 + 2 resumed,
and the supervised MIDNet 2 + 2 steps, in run folders under ``sys.argv[1]``;
prints ``TENSORFLOW_IMPORTED`` if anything imported TensorFlow.
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


def main(root: str) -> None:
    sys.meta_path.insert(0, _NoTensorFlow())
    from tests.train import test_physical, test_supervised
    from cyclesem.train.run_folder import prepare_run_folder

    rng = np.random.default_rng(0)
    clear = [rng.random((40, 48)).astype(np.float32) for _ in range(2)]
    images = ([c * np.float32(0.8) + np.float32(0.1) for c in clear[::-1]], clear)
    test_physical.run(test_physical.micro_config(4), images, prepare_run_folder(f"{root}/physical_straight"))
    resumed = prepare_run_folder(f"{root}/physical_resumed")
    test_physical.run(test_physical.micro_config(2), images, resumed)
    test_physical.run(test_physical.micro_config(4), images, resumed, resume=True)
    rng = np.random.default_rng(0)
    pairs = ([test_supervised._pair(f"t{i}", rng) for i in range(2)], [test_supervised._pair("v0", rng, (36, 70))])
    supervised = prepare_run_folder(f"{root}/midnet")
    test_supervised.run(test_supervised.micro_config(2), pairs, supervised)
    test_supervised.run(test_supervised.micro_config(4), pairs, supervised, resume=True)
    print("TENSORFLOW_IMPORTED" if "tensorflow" in sys.modules else "no tensorflow", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
