"""Tests for cyclesem.nets.ensemble: a network averaged over the flips of its input."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from cyclesem.config.supervised import MIDNET_PRESETS  # noqa: E402
from cyclesem.nets.ensemble import Flip, flip_ensemble  # noqa: E402
from cyclesem.nets.midnet import build_midnet  # noqa: E402
from tests.helpers import wake_blocks  # noqa: E402


def _image(height=21, width=30, seed=0):
    return np.random.default_rng(seed).random((1, height, width, 1)).astype(np.float32)


def test_flip_reverses_the_given_axes_and_refuses_others():
    image = _image()
    np.testing.assert_array_equal(np.asarray(Flip((2,))(image)), image[:, :, ::-1])
    np.testing.assert_array_equal(np.asarray(Flip((1, 2))(image)), image[:, ::-1, ::-1])
    with pytest.raises(ValueError, match="among 1 and 2"):
        Flip((3,))


def test_the_ensemble_is_the_mean_over_the_four_flips_on_odd_sizes():
    network = wake_blocks(build_midnet(**MIDNET_PRESETS["tiny"]))
    ensemble = flip_ensemble(network)
    image = _image()

    def run(x):
        return np.asarray(network(x, training=False))

    expected = np.mean([run(image), run(image[:, :, ::-1])[:, :, ::-1], run(image[:, ::-1])[:, ::-1],
                        run(image[:, ::-1, ::-1])[:, ::-1, ::-1]], axis=0)
    actual = np.asarray(ensemble(image, training=False))
    assert actual.shape == image.shape
    np.testing.assert_allclose(actual, expected, atol=1e-5)
    assert not np.allclose(actual, run(image), atol=1e-4)  # the flips do differ
    assert len(ensemble.trainable_weights) == len(network.trainable_weights)  # shared, not copied


def test_the_ensemble_saves_and_loads_in_safe_mode(tmp_path):
    ensemble = flip_ensemble(wake_blocks(build_midnet(**MIDNET_PRESETS["tiny"])))
    ensemble.save(tmp_path / "ensemble.keras")
    loaded = keras.saving.load_model(tmp_path / "ensemble.keras", compile=False, safe_mode=True)
    image = _image(seed=3)
    np.testing.assert_allclose(np.asarray(loaded(image, training=False)),
                               np.asarray(ensemble(image, training=False)), atol=1e-6)
