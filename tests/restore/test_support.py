"""Tests for cyclesem.restore.support: keeping only the detail the input supports."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from cyclesem.errors import CyclesemError
from cyclesem.restore.support import limit_to_support, support_gain


def texture(shape=(256, 256), seed: int = 0, scale: float = 1.0) -> np.ndarray:
    """Broadband texture in [0, 1]: white noise smoothed at ``scale`` px, stretched."""
    values = ndimage.gaussian_filter(np.random.default_rng(seed).normal(size=shape), scale)
    return (0.5 + 0.2 * values / values.std()).astype(np.float32)


def band_power(image: np.ndarray, low: float, high: float) -> float:
    """Mean power of ``image``'s spectrum at radial frequencies in [low, high)."""
    spectrum = np.abs(np.fft.fft2(image - image.mean())) ** 2
    fy, fx = np.meshgrid(np.fft.fftfreq(image.shape[0]), np.fft.fftfreq(image.shape[1]), indexing="ij")
    radius = np.hypot(fy, fx)
    return float(spectrum[(radius >= low) & (radius < high)].mean())


def test_gain_is_one_at_zero_frequency_bounded_and_ordered():
    frequencies, gain = support_gain(texture())
    assert frequencies[0] == 0.0 and gain[0] == 1.0
    assert np.all(np.diff(frequencies) > 0)
    assert gain.min() >= 0.0 and gain.max() <= 1.0


def test_detail_the_input_carries_above_its_noise_is_kept():
    image = texture(scale=1.0) + np.random.default_rng(1).normal(0, 0.002, (256, 256)).astype(np.float32)
    out = limit_to_support(image, image)
    assert out.dtype == np.float32 and out.shape == image.shape
    assert 10 * np.log10(1 / np.mean((out - image) ** 2)) > 35.0


def test_detail_below_the_input_noise_is_removed_and_coarse_structure_kept():
    clean = texture(seed=2, scale=1.0)
    blurred = ndimage.gaussian_filter(clean, 8.0, mode="reflect")
    image = blurred + np.random.default_rng(3).normal(0, 0.02, clean.shape).astype(np.float32)
    guessed = blurred + (clean - ndimage.gaussian_filter(clean, 3.0))  # fine detail the input cannot hold
    out = limit_to_support(guessed, image)
    assert band_power(out, 0.1, 0.5) < 0.05 * band_power(guessed, 0.1, 0.5)
    coarse = ndimage.gaussian_filter(out, 16.0) - ndimage.gaussian_filter(guessed, 16.0)
    assert np.abs(coarse[32:-32, 32:-32]).max() < 0.01


def test_a_constant_restoration_stays_constant_up_to_the_borders():
    image = texture((100, 137), seed=4)
    out = limit_to_support(np.full(image.shape, 0.3, np.float32), image)
    np.testing.assert_allclose(out, 0.3, atol=1e-5)


@pytest.mark.parametrize("shape", [(8, 8), (9, 300), (300, 11)])
def test_small_and_thin_images_keep_their_shape(shape):
    image = np.random.default_rng(5).random(shape).astype(np.float32)
    assert limit_to_support(image, image).shape == shape


@pytest.mark.parametrize("shape", [(1, 1), (4, 16), (300, 7)])
def test_images_too_small_for_a_spectrum_come_back_unchanged(shape):
    image = np.random.default_rng(6).random(shape).astype(np.float32)
    np.testing.assert_array_equal(limit_to_support(image, image), image)
    with pytest.raises(CyclesemError, match="at least 8 x 8"):
        support_gain(image)


@pytest.mark.parametrize("restored, image, message", [
    (np.zeros((16, 16)), np.zeros((16, 17)), "differs"),
    (np.zeros((16, 16)), np.full((16, 16), np.nan), "non-finite"),
    (np.full((16, 16), np.inf), np.zeros((16, 16)), "non-finite"),
])
def test_bad_arrays_get_one_clear_error(restored, image, message):
    with pytest.raises(CyclesemError, match=message):
        limit_to_support(restored, image)
