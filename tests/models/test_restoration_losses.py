"""Tests for the restoration loss of cyclesem.models.losses: each term on inputs with known values."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("keras")

from cyclesem.config import build  # noqa: E402
from cyclesem.errors import CyclesemError  # noqa: E402
from cyclesem.config.supervised import RestorationLossWeights  # noqa: E402
from cyclesem.models.losses import (  # noqa: E402
    l1_loss,
    restoration_loss_terms,
    sobel_gradient_l1,
    spectrum_l1,
)


def _image(size=16, seed=0, batch=2):
    return np.random.default_rng(seed).random((batch, size, size, 1), dtype="float32")


def _ramp(height, width, slope):
    """Brightness rising by ``slope`` per column, shape (1, height, width, 1)."""
    columns = slope * np.arange(width, dtype="float32")
    return np.broadcast_to(columns[None, None, :, None], (1, height, width, 1)).copy()


def test_identical_images_cost_nothing():
    image = _image()
    terms = {name: float(value) for name, value in restoration_loss_terms(image, image).items()}
    assert terms == {"l1": 0.0, "edge": 0.0, "fft": 0.0, "total": 0.0}


def test_l1_of_a_shifted_ramp_is_slope_times_shift():
    slope, shift = 0.01, 3
    wide = _ramp(12, 20 + shift, slope)
    moved, still = wide[:, :, shift:], wide[:, :, :20]
    assert float(l1_loss(moved, still)) == pytest.approx(slope * shift, rel=1e-5)


def test_constant_offset_costs_c_in_l1_nothing_in_edges_and_c_over_2_in_fft():
    # The FFT of a constant c on an N x N image is c * N**2 at DC and zero elsewhere;
    # averaged over N**2 real and N**2 imaginary parts that is c / 2.
    offset = 0.25
    image = _image(size=16)
    assert float(l1_loss(image + offset, image)) == pytest.approx(offset, rel=1e-5)
    assert float(sobel_gradient_l1(image + offset, image)) == pytest.approx(0.0, abs=1e-5)
    assert float(spectrum_l1(image + offset, image)) == pytest.approx(offset / 2, rel=1e-4)


def test_edge_loss_is_sobel_on_a_ramp():
    # Sobel x of a ramp is (1 + 2 + 1) * 2 * slope = 8 * slope inside; the two border
    # columns are 0 (reflect padding), y gradients are 0; the mean runs over both.
    slope, height, width = 0.02, 10, 12
    expected = 8 * slope * (width - 2) / width / 2
    assert float(sobel_gradient_l1(_ramp(height, width, slope), np.zeros((1, height, width, 1), "float32"))) == (
        pytest.approx(expected, rel=1e-5)
    )


def test_fft_loss_of_a_checkerboard_sits_at_nyquist():
    size = 8
    board = ((-1.0) ** np.add.outer(np.arange(size), np.arange(size))).astype("float32")[None, :, :, None]
    assert float(spectrum_l1(board, np.zeros_like(board))) == pytest.approx(0.5, rel=1e-5)


def test_total_is_the_weighted_sum():
    weights = RestorationLossWeights(l1=2.0, edge=0.5, fft=0.1)
    terms = restoration_loss_terms(_image(seed=1), _image(seed=2), weights)
    expected = 2.0 * float(terms["l1"]) + 0.5 * float(terms["edge"]) + 0.1 * float(terms["fft"])
    assert float(terms["total"]) == pytest.approx(expected, rel=1e-5)


def test_default_weights_are_midnets_and_negative_weights_are_refused():
    assert RestorationLossWeights() == RestorationLossWeights(l1=1.0, edge=0.05, fft=0.01)
    with pytest.raises(CyclesemError, match="'edge' must be >= 0.*'fft' must be >= 0"):
        build(RestorationLossWeights, {"edge": -1.0, "fft": -0.1})


def test_ssim_weight_adds_one_minus_ssim_to_the_total():
    from cyclesem.models.losses import ssim_loss

    sharp, noisy = _image(size=24, seed=1), _image(size=24, seed=2)
    plain = restoration_loss_terms(noisy, sharp, RestorationLossWeights())
    weighted = restoration_loss_terms(noisy, sharp, RestorationLossWeights(ssim=0.5))
    expected = float(plain["total"]) + 0.5 * float(ssim_loss(noisy, sharp))
    assert float(weighted["total"]) == pytest.approx(expected, rel=1e-5)
    assert float(ssim_loss(noisy, sharp)) > 0.5  # unrelated noise images share little structure


def test_mse_weight_adds_the_squared_error_to_the_total():
    from cyclesem.models.losses import squared_error

    sharp = _image(size=16, seed=1)
    offset = sharp + 0.1  # a constant error of 0.1 costs 0.01 in squared error
    assert float(squared_error(offset, sharp)) == pytest.approx(0.01, rel=1e-4)
    only_mse = RestorationLossWeights(l1=0.0, edge=0.0, fft=0.0, mse=2.0)
    assert float(restoration_loss_terms(offset, sharp, only_mse)["total"]) == pytest.approx(0.02, rel=1e-4)
    assert float(restoration_loss_terms(sharp, sharp, only_mse)["total"]) == 0.0
