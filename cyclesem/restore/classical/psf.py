"""Point spread functions of a scanning electron beam.

Every PSF is a float32 2-D kernel of odd size, centred on its middle pixel,
normalised to sum 1, and large enough to hold at least :data:`ENERGY` of the
continuous PSF's energy. Angles are in degrees, measured from the image's x axis
(columns) towards its y axis (rows, which point down).

- :func:`gaussian_psf`: a (possibly elliptical, rotated) Gaussian probe.
- :func:`disk_psf`: a uniform disk (defocus) or ellipse (astigmatism), its
  edge optionally softened by a Gaussian.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

__all__ = ["ENERGY", "gaussian_psf", "disk_psf", "defocus_psf", "astigmatic_psf"]

ENERGY = 0.999
"""Fraction of the continuous PSF's energy every kernel holds."""

# Mahalanobis radius of a 2-D Gaussian holding ENERGY: 1 - exp(-k^2 / 2) = ENERGY.
_GAUSS_K = math.sqrt(-2.0 * math.log(1.0 - ENERGY))
_SUBSAMPLES = 8  # per pixel side, for the area a disk covers in each pixel
_MIN_SIGMA = 0.25  # px: thinner Gaussians are deltas at pixel sampling


def gaussian_psf(sigma_x: float, sigma_y: float | None = None, angle: float = 0.0) -> np.ndarray:
    """A Gaussian PSF, sampled at pixel centres.

    Parameters
    ----------
    sigma_x : float
        Standard deviation (px) along the first principal axis.
    sigma_y : float, optional
        Standard deviation (px) along the second axis; ``sigma_x`` if omitted.
    angle : float
        Angle (degrees) of the first axis from the image x axis towards +y.

    Returns
    -------
    numpy.ndarray
        float32 kernel, odd-sized, summing to 1. Its covariance is
        ``R diag(sigma_x**2, sigma_y**2) R.T`` (x, y order). Point sampling cannot
        draw a Gaussian much thinner than a pixel: sigmas below 0.25 px count as
        0.25 px, which is a delta to within 3e-4 (both below: a one-pixel delta).

    Examples
    --------
    >>> gaussian_psf(2.0).shape
    (17, 17)
    """
    sigma_y = sigma_x if sigma_y is None else sigma_y
    if sigma_x < 0 or sigma_y < 0:
        raise ValueError("sigmas must be >= 0")
    if max(sigma_x, sigma_y) < _MIN_SIGMA:
        return np.ones((1, 1), np.float32)
    sigma_x, sigma_y = max(sigma_x, _MIN_SIGMA), max(sigma_y, _MIN_SIGMA)
    cov = _rotated_cov(sigma_x**2, sigma_y**2, angle)
    half_x = math.ceil(_GAUSS_K * math.sqrt(cov[0, 0]))
    half_y = math.ceil(_GAUSS_K * math.sqrt(cov[1, 1]))
    y, x = np.mgrid[-half_y : half_y + 1, -half_x : half_x + 1].astype(np.float64)
    inv = np.linalg.inv(cov)
    quad = inv[0, 0] * x * x + 2 * inv[0, 1] * x * y + inv[1, 1] * y * y
    return _normalised(np.exp(-0.5 * quad))


def disk_psf(
    radius: float, *, radius_y: float | None = None, angle: float = 0.0, softness: float = 0.0
) -> np.ndarray:
    """A uniform disk (defocus) or ellipse (astigmatism), optionally softened.

    Parameters
    ----------
    radius : float
        Radius (px) along the first axis.
    radius_y : float, optional
        Radius (px) along the second axis; ``radius`` if omitted (a disk).
    angle : float
        Angle (degrees) of the first axis from the image x axis towards +y.
    softness : float
        Standard deviation (px) of a Gaussian that softens the edge; 0 for a hard
        edge (each pixel then holds the fraction of its area inside the ellipse).

    Returns
    -------
    numpy.ndarray
        float32 kernel, odd-sized, summing to 1.
    """
    radius_y = radius if radius_y is None else radius_y
    if radius < 0 or radius_y < 0 or softness < 0:
        raise ValueError("radii and softness must be >= 0")
    if max(radius, radius_y) < 0.5 / _SUBSAMPLES:  # smaller than a subsample: a point
        return gaussian_psf(softness)
    coverage = ellipse_coverage(radius, radius_y, angle)
    if softness > 0:
        margin = math.ceil(_GAUSS_K * softness)
        coverage = np.pad(coverage, margin)
        coverage = ndimage.gaussian_filter(coverage, softness, mode="constant", truncate=_GAUSS_K + 0.5)
    return _normalised(coverage)


def defocus_psf(radius: float, softness: float = 0.0) -> np.ndarray:
    """The PSF of a defocused beam: a uniform disk of ``radius`` px (see :func:`disk_psf`)."""
    return disk_psf(radius, softness=softness)


def astigmatic_psf(radius_x: float, radius_y: float, angle: float, softness: float = 0.0) -> np.ndarray:
    """The PSF of an astigmatic beam: a uniform ellipse (see :func:`disk_psf`)."""
    return disk_psf(radius_x, radius_y=radius_y, angle=angle, softness=softness)


def ellipse_coverage(radius_x: float, radius_y: float, angle: float) -> np.ndarray:
    """Fraction of each pixel's area inside a centred, rotated ellipse (odd-sized, float64)."""
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    ext_x = math.hypot(radius_x * cos, radius_y * sin)
    ext_y = math.hypot(radius_x * sin, radius_y * cos)
    half_x, half_y = math.ceil(ext_x + 0.5), math.ceil(ext_y + 0.5)
    offsets = (np.arange(_SUBSAMPLES) + 0.5) / _SUBSAMPLES - 0.5
    ys = (np.arange(-half_y, half_y + 1)[:, None] + offsets[None, :]).reshape(-1)
    xs = (np.arange(-half_x, half_x + 1)[:, None] + offsets[None, :]).reshape(-1)
    along = xs[None, :] * cos + ys[:, None] * sin
    across = -xs[None, :] * sin + ys[:, None] * cos
    inside = (along / max(radius_x, 1e-9)) ** 2 + (across / max(radius_y, 1e-9)) ** 2 <= 1.0
    shape = (2 * half_y + 1, _SUBSAMPLES, 2 * half_x + 1, _SUBSAMPLES)
    return inside.reshape(shape).mean(axis=(1, 3))


def _rotated_cov(var_x: float, var_y: float, angle: float) -> np.ndarray:
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    rot = np.array([[cos, -sin], [sin, cos]])
    return rot @ np.diag([var_x, var_y]) @ rot.T


def _normalised(kernel: np.ndarray) -> np.ndarray:
    return (kernel / kernel.sum()).astype(np.float32)
