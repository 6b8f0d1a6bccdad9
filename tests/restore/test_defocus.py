"""Tests for cyclesem.restore.defocus: the local blur map and the verdicts."""

from __future__ import annotations

import numpy as np
import pytest

from cyclesem.restore.defocus import SHARP_WIDTH, defocus_map, verdict
from synth.phantoms import make_phantom
from tests.helpers import blurred, composite, sharp_image  # noqa: E402


def test_composite_map_tells_the_halves_apart():
    defocus = defocus_map(composite(4.0), cell=32)
    columns = defocus.widths.mean(axis=0)
    assert defocus.widths.shape == (6, 8)
    assert columns[:3].max() < SHARP_WIDTH < columns[-3:].min()
    assert columns[-3:].mean() - columns[:3].mean() > 1.5
    full = defocus.full()
    assert full.shape == (192, 256) and np.isfinite(full).all()
    assert verdict(defocus) == "partly"


def test_width_grows_with_the_blur():
    image = make_phantom("fibres", 192, 5)
    medians = [defocus_map(blurred(image, s) if s else image).summary()["median_px"] for s in (0.0, 2.0, 4.0)]
    assert medians[0] < medians[1] < medians[2]
    assert abs(medians[2] - 4.0) < 1.5  # calibrated in px of Gaussian sigma, the phantom's own width included


def test_verdicts_of_sharp_blurred_and_flat_images():
    assert verdict(defocus_map(sharp_image())) == "in focus"
    assert verdict(defocus_map(blurred(sharp_image(noise=0.0), 5.0) + 0.002)) == "out of focus"
    flat = np.full((96, 96), 0.5, np.float32) + np.random.default_rng(0).normal(0.0, 0.01, (96, 96)).astype(np.float32)
    defocus = defocus_map(flat)
    assert verdict(defocus) == "no detail"
    assert np.isnan(defocus.full()).all()


def test_noise_alone_does_not_look_sharp_or_blurred():
    """A stronger noise raises the edge threshold, not the widths of a sharp image."""
    quiet, noisy = defocus_map(sharp_image(noise=0.005)), defocus_map(sharp_image(noise=0.03))
    assert noisy.noise_sigma > 3 * quiet.noise_sigma
    assert verdict(noisy) == "in focus"


@pytest.mark.parametrize(
    "image, cell",
    [(np.zeros((40, 200)), 64), (np.zeros((3, 64, 64)), 64), (np.full((64, 64), np.nan), 64), (np.zeros((64, 64)), 8)],
)
def test_bad_inputs_raise_value_error(image, cell):
    with pytest.raises(ValueError):
        defocus_map(image, cell=cell)
