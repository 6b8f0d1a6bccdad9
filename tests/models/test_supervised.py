"""Tests for cyclesem.models.supervised: training and evaluating a restoration network."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from cyclesem.models.supervised import SupervisedRestoration, mean_scores, psnr_per_image  # noqa: E402
from cyclesem.config.supervised import MIDNET_PRESETS, RestorationLossWeights  # noqa: E402
from cyclesem.nets.midnet import build_midnet  # noqa: E402


def _trivial_pairs(count=8, size=32):
    """Sharp noise images and a dimmed, offset "blurry" version: an affine map to learn."""
    sharp = np.random.default_rng(0).random((count, size, size, 1), dtype="float32")
    return 0.5 * sharp + 0.2, sharp


def _model(run_eagerly=False):
    """Tiny MIDNet; eager training skips graph building, four times cheaper on a CPU (same numbers)."""
    keras.utils.set_random_seed(0)
    model = SupervisedRestoration(build_midnet(**MIDNET_PRESETS["tiny"]))
    model.compile(optimizer=keras.optimizers.Adam(2e-3), jit_compile=False, run_eagerly=run_eagerly)
    return model


def test_psnr_per_image_known_values():
    target = np.zeros((2, 8, 8, 1), "float32")
    predicted = target + np.array([0.1, 0.01], "float32")[:, None, None, None]
    np.testing.assert_allclose(np.asarray(psnr_per_image(predicted, target)), [20.0, 40.0], rtol=1e-5)


def test_mean_scores_average_every_image_alike():
    target = np.random.default_rng(0).random((3, 16, 16, 1)).astype("float32")
    predicted = target + np.array([0.1, 0.01, 0.0], "float32")[:, None, None, None]
    scores = mean_scores(predicted[:2], target[:2])
    assert scores["psnr"] == pytest.approx(30.0, rel=1e-5) and 0 < scores["ssim"] < 1
    assert mean_scores(predicted[2:], target[2:])["ssim"] == pytest.approx(1.0, abs=1e-6)


def test_training_steps_lower_the_loss_on_a_trivial_mapping():
    blurry, sharp = _trivial_pairs()
    model = _model(run_eagerly=True)
    before = model.evaluate(blurry, sharp, batch_size=4, verbose=0, return_dict=True)
    history = model.fit(blurry, sharp, batch_size=4, epochs=3, verbose=0, shuffle=False)
    after = model.evaluate(blurry, sharp, batch_size=4, verbose=0, return_dict=True)
    assert set(history.history) == {"l1", "edge", "fft", "total"}
    assert after["total"] < 0.8 * before["total"]
    assert after["psnr"] > before["psnr"]


def test_evaluation_reports_psnr_ssim_and_the_weighted_loss():
    blurry, sharp = _trivial_pairs(count=4)
    model = _model()
    scores = model.evaluate(blurry, sharp, batch_size=4, verbose=0, return_dict=True)
    mse = ((np.asarray(model(blurry)) - sharp) ** 2).mean(axis=(1, 2, 3))
    assert scores["psnr"] == pytest.approx(float(np.mean(10 * np.log10(1.0 / mse))), rel=1e-4)
    assert -1.0 <= scores["ssim"] < 1.0
    assert scores["total"] == pytest.approx(scores["l1"] + 0.05 * scores["edge"] + 0.01 * scores["fft"], rel=1e-4)


def test_config_round_trip_keeps_the_network_and_weights():
    model = SupervisedRestoration(build_midnet(**MIDNET_PRESETS["tiny"]), RestorationLossWeights(edge=0.1), 255.0)
    copy = SupervisedRestoration.from_config(model.get_config())
    assert copy.restoration_weights == RestorationLossWeights(edge=0.1) and copy.max_val == 255.0
    assert copy.network.count_params() == model.network.count_params()
