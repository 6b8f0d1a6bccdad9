"""PSFs: normalisation, second moments against sigma and radius, energy held."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cyclesem.restore.classical.psf import ENERGY, astigmatic_psf, defocus_psf, disk_psf, gaussian_psf


def moments(kernel: np.ndarray) -> tuple[float, float, float]:
    """Second central moments (xx, yy, xy) of a kernel about its middle pixel."""
    y, x = np.indices(kernel.shape, dtype=np.float64)
    y -= kernel.shape[0] // 2
    x -= kernel.shape[1] // 2
    k = kernel.astype(np.float64) / kernel.sum()
    return float((k * x * x).sum()), float((k * y * y).sum()), float((k * x * y).sum())


@pytest.mark.parametrize(
    "sigma_x, sigma_y, angle",
    [(1.0, 1.0, 0.0), (2.5, 2.5, 0.0), (3.0, 1.0, 0.0), (3.0, 1.0, 30.0), (2.0, 0.8, 125.0)],
)
def test_gaussian_moments_match_the_rotated_covariance(sigma_x, sigma_y, angle):
    kernel = gaussian_psf(sigma_x, sigma_y, angle)
    assert kernel.dtype == np.float32
    assert kernel.shape[0] % 2 == 1 and kernel.shape[1] % 2 == 1
    assert kernel.sum() == pytest.approx(1.0, abs=1e-6)
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    want_xx = sigma_x**2 * c * c + sigma_y**2 * s * s
    want_yy = sigma_x**2 * s * s + sigma_y**2 * c * c
    want_xy = (sigma_x**2 - sigma_y**2) * s * c
    xx, yy, xy = moments(kernel)
    # truncation at 99.9% energy lowers the moments by well under 2%
    assert xx == pytest.approx(want_xx, rel=0.02, abs=0.01)
    assert yy == pytest.approx(want_yy, rel=0.02, abs=0.01)
    assert xy == pytest.approx(want_xy, rel=0.03, abs=0.01)


@pytest.mark.parametrize("sigma_x, sigma_y, angle", [(1.0, 1.0, 0.0), (4.0, 1.5, 40.0), (0.6, 0.6, 0.0)])
def test_gaussian_kernel_holds_the_required_energy(sigma_x, sigma_y, angle):
    kernel = gaussian_psf(sigma_x, sigma_y, angle)
    # the same Gaussian on a far larger grid: the kernel's window must hold >= ENERGY of it
    half = 12 * math.ceil(max(sigma_x, sigma_y))
    y, x = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float64)
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    along, across = x * c + y * s, -x * s + y * c
    big = np.exp(-0.5 * ((along / sigma_x) ** 2 + (across / sigma_y) ** 2))
    hy, hx = kernel.shape[0] // 2, kernel.shape[1] // 2
    inside = big[half - hy : half + hy + 1, half - hx : half + hx + 1].sum()
    assert inside / big.sum() >= ENERGY


def test_tiny_gaussian_is_a_delta():
    assert gaussian_psf(0.0).shape == (1, 1)
    kernel = gaussian_psf(0.1)
    assert kernel[kernel.shape[0] // 2, kernel.shape[1] // 2] > 0.999


@pytest.mark.parametrize("radius, tolerance", [(1.5, 0.07), (3.0, 0.02), (6.5, 0.01)])
def test_disk_area_and_radius(radius, tolerance):
    kernel = defocus_psf(radius)
    assert kernel.sum() == pytest.approx(1.0, abs=1e-6)
    coverage = kernel / kernel.max()  # each pixel's covered fraction
    assert coverage.sum() == pytest.approx(math.pi * radius**2, rel=0.02)
    xx, yy, xy = moments(kernel)
    # a uniform disk has variance r^2 / 4 per axis; pixel sampling adds 1/12
    assert 2 * math.sqrt(xx - 1 / 12) == pytest.approx(radius, rel=tolerance)
    assert xx == pytest.approx(yy, rel=1e-6) and abs(xy) < 1e-6
    assert kernel[kernel.shape[0] // 2, 0] == 0.0  # nothing outside the disk


def test_astigmatic_ellipse_axes_and_angle():
    kernel = astigmatic_psf(6.0, 2.0, 90.0)  # long axis along y
    xx, yy, _ = moments(kernel)
    assert 2 * math.sqrt(yy - 1 / 12) == pytest.approx(6.0, rel=0.03)
    assert 2 * math.sqrt(xx - 1 / 12) == pytest.approx(2.0, rel=0.05)
    tilted = astigmatic_psf(6.0, 2.0, 45.0)
    assert moments(tilted)[2] > 3.0  # covariance along the diagonal


def test_softened_disk_keeps_energy_and_widens():
    hard, soft = disk_psf(4.0), disk_psf(4.0, softness=1.5)
    assert soft.sum() == pytest.approx(1.0, abs=1e-6)
    assert moments(soft)[0] == pytest.approx(moments(hard)[0] + 1.5**2, rel=0.03)
    # the soft edge decays inside the kernel: its border holds almost nothing
    assert soft[0].sum() + soft[-1].sum() < 1e-3


def test_negative_parameters_are_refused():
    with pytest.raises(ValueError):
        gaussian_psf(-1.0)
    with pytest.raises(ValueError):
        disk_psf(2.0, softness=-1.0)
