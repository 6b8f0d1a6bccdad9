"""FFT blurring with reflective padding."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from synth.blur import blur
from cyclesem.restore.classical.psf import defocus_psf, disk_psf, gaussian_psf


def test_matches_direct_convolution_with_mirrored_borders():
    image = np.random.default_rng(0).random((40, 57)).astype(np.float32)
    kernel = np.random.default_rng(1).random((7, 5)).astype(np.float32)  # not symmetric
    kernel /= kernel.sum()
    want = ndimage.convolve(image.astype(np.float64), kernel.astype(np.float64), mode="reflect")
    np.testing.assert_allclose(blur(image, kernel), want, atol=2e-6)


@pytest.mark.parametrize(
    "kernel",
    [
        gaussian_psf(3.0, 1.0, 30.0),
        disk_psf(4.0, radius_y=2.0, angle=20.0, softness=0.7),
        defocus_psf(3.0, softness=0.5),  # symmetric about both axes: the cosine-transform path
        gaussian_psf(2.0, 1.0, 0.0),
    ],
)
def test_rotated_elliptical_and_mirror_symmetric_kernels_match_direct_convolution(kernel):
    image = np.random.default_rng(4).random((50, 61)).astype(np.float32)
    want = ndimage.convolve(image.astype(np.float64), kernel.astype(np.float64), mode="reflect")
    np.testing.assert_allclose(blur(image, kernel), want, atol=2e-6)


def test_bright_left_edge_does_not_wrap_to_the_right():
    image = np.zeros((64, 64), np.float32)
    image[:, :4] = 1.0
    out = blur(image, gaussian_psf(4.0))
    assert out.dtype == np.float32 and out.shape == image.shape
    assert np.abs(out[:, -20:]).max() < 1e-6  # a wrap-around would light the right edge
    assert out[:, 0].min() > 0.5  # the mirrored border keeps the edge bright


def test_constant_image_stays_constant_and_delta_is_identity():
    flat = np.full((33, 21), 0.7, np.float32)
    np.testing.assert_allclose(blur(flat, defocus_psf(5.0)), 0.7, atol=1e-6)
    image = np.random.default_rng(2).random((16, 16)).astype(np.float32)
    np.testing.assert_array_equal(blur(image, np.ones((1, 1), np.float32)), image)


def test_kernel_larger_than_image_is_fine():
    image = np.random.default_rng(3).random((10, 12)).astype(np.float32)
    out = blur(image, gaussian_psf(8.0))
    assert out.shape == image.shape and np.isfinite(out).all()
    assert image.min() - 1e-6 <= out.min() and out.max() <= image.max() + 1e-6


def test_even_kernel_is_refused():
    with pytest.raises(ValueError):
        blur(np.zeros((8, 8), np.float32), np.ones((2, 3), np.float32))


@pytest.mark.parametrize("shape", [(64, 64), (70, 45), (33, 100)])
def test_border_bands_match_direct_convolution_at_any_size(shape):
    # sizes that are and are not fast FFT lengths: the wrapped border bands are redone
    image = np.random.default_rng(5).random(shape).astype(np.float32)
    kernel = gaussian_psf(2.0, 1.2, 60.0)
    want = ndimage.convolve(image.astype(np.float64), kernel.astype(np.float64), mode="reflect")
    np.testing.assert_allclose(blur(image, kernel), want, atol=2e-6)
