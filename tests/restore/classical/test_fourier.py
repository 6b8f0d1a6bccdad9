"""Fourier helpers: OTFs, the periodic plus smooth decomposition, the in-place Wiener filter."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import fft

from cyclesem.restore.classical import fourier
from cyclesem.restore.classical.psf import gaussian_psf


def _centred_fft(psf, shape):
    padded = np.zeros(shape)
    padded[: psf.shape[0], : psf.shape[1]] = psf
    return fft.rfft2(np.roll(padded, (-(psf.shape[0] // 2), -(psf.shape[1] // 2)), axis=(0, 1)))


@pytest.mark.parametrize(
    "psf",
    [gaussian_psf(2.0), gaussian_psf(2.5, 1.2, 30.0), np.random.default_rng(1).random((7, 10)), np.ones((3, 70))],
    ids=["round", "rotated", "random", "wide"],
)
def test_otf_is_the_centred_fft_of_the_zero_padded_psf(psf):
    psf = psf / psf.sum()
    expected = _centred_fft(psf, (80, 75))
    np.testing.assert_allclose(fourier.otf(psf, (80, 75)), expected, atol=2e-6)
    np.testing.assert_allclose(fourier.otf(psf, (80, 75), conjugate=True), np.conj(expected), atol=2e-6)


def test_smooth_part_solves_the_border_jump_poisson_equation():
    image = np.random.default_rng(0).random((37, 50))
    jumps = np.zeros_like(image)
    jumps[0, :] += image[-1, :] - image[0, :]
    jumps[-1, :] -= image[-1, :] - image[0, :]
    jumps[:, 0] += image[:, -1] - image[:, 0]
    jumps[:, -1] -= image[:, -1] - image[:, 0]
    freq_y, freq_x = fourier.frequencies(image.shape)
    laplacian = 2 * np.cos(2 * np.pi * freq_y) + 2 * np.cos(2 * np.pi * freq_x) - 4
    laplacian[0, 0] = 1.0
    expected = fft.rfft2(jumps) / laplacian
    expected[0, 0] = 0.0
    np.testing.assert_allclose(fourier.smooth_spectrum(image), expected, atol=1e-5)
    periodic = fft.irfft2(fourier.periodic_spectrum(image), s=image.shape)
    assert np.abs(np.diff(periodic[[-1, 0]], axis=0)).mean() < 0.6 * np.abs(image[-1] - image[0]).mean()


@pytest.mark.parametrize("shape", [(65, 77), (300, 301)])
@pytest.mark.parametrize("keep_smooth_part", [False, True])
def test_wiener_filter_in_place_equals_the_formula(shape, keep_smooth_part):
    image = np.random.default_rng(2).random(shape).astype(np.float32)
    spectrum = fft.rfft2(image).astype(np.complex64)
    psf = gaussian_psf(2.0, 1.3, 20.0)
    transfer = _centred_fft(psf, shape)
    gain = np.conj(transfer) / (np.abs(transfer) ** 2 + 0.01 * fourier.laplacian_power(shape))
    smooth = fourier.smooth_spectrum(image) if keep_smooth_part else 0.0
    expected = (spectrum - smooth) * gain + smooth
    fourier.apply_wiener_filter(spectrum, shape, psf, 0.01, image=image if keep_smooth_part else None)
    np.testing.assert_allclose(spectrum, expected, atol=1e-5 * np.abs(expected).max())


def test_mirror_pad_reaches_a_fast_size_and_keeps_the_image():
    image = np.arange(471 * 30, dtype=np.float32).reshape(471, 30)
    padded = fourier.mirror_pad(image)
    assert padded.array.shape == (fft.next_fast_len(471), 30)
    np.testing.assert_array_equal(padded.crop(padded.array), image)
    assert fourier.mirror_pad(image[:256]).array.shape == (256, 30)  # already a fast size: no padding


def test_pad_and_taper_fades_to_the_mean():
    image = np.random.default_rng(3).random((40, 40)).astype(np.float32)
    padded = fourier.pad_and_taper(image, 10)
    np.testing.assert_array_equal(padded.crop(padded.array), image)
    assert abs(float(padded.array[0, 0]) - float(image.mean())) < 0.05
