"""Fog: a contrast-losing veil, by the scattering model ``I = J * t + A * (1 - t)``.

``J`` is the clear image, ``A`` the veil's brightness and ``t`` a smooth random
transmission map (1: clear, 0: only veil). A bright "charging" glow, added on
top, mimics the slowly varying brightening of a charging specimen.

Random fields are drawn on a coarse grid and upsampled by interpolation
(cubic to a quarter of the size, where the map is shaped, then linear), so
their cost does not depend on how smooth they are (no large FFT or filter).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from scipy import ndimage

__all__ = ["smooth_field", "transmission_map", "charging_glow", "apply_fog"]


def smooth_field(shape: tuple[int, int], scale: float, rng: np.random.Generator) -> np.ndarray:
    """A smooth random field of about zero mean and unit standard deviation.

    Parameters
    ----------
    shape : (int, int)
        Rows and columns.
    scale : float
        Correlation length as a fraction of the shorter side (> 0); blobs are
        about ``scale * min(shape)`` pixels across.
    rng : numpy.random.Generator
        Source of the draws.

    Returns
    -------
    numpy.ndarray
        float32 field of ``shape``.
    """
    return _upsample(_quarter_field(shape, scale, rng), shape)


def transmission_map(
    shape: tuple[int, int], mean: float, spread: float, scale: float, rng: np.random.Generator
) -> np.ndarray:
    """A transmission map ``t = clip(mean + spread * field, 0, 1)`` (float32).

    With ``spread == 0`` it is the constant ``mean`` and draws nothing.
    """
    if spread <= 0:
        return np.full(shape, np.float32(min(max(mean, 0.0), 1.0)))
    field = _quarter_field(shape, scale, rng) * np.float32(spread) + np.float32(mean)
    return _upsample(np.clip(field, 0.0, 1.0), shape)  # interpolation stays within [0, 1]


def charging_glow(shape: tuple[int, int], scale: float, rng: np.random.Generator) -> np.ndarray:
    """Bright, low-frequency blobs in [0, 1], peaking at about 1 (float32): where a specimen charges."""
    field = np.maximum(_quarter_field(shape, scale, rng), 0.0)
    field *= field  # soft-edged blobs on a dark background
    peak = float(field.max())
    return _upsample(field / peak if peak > 0 else field, shape)


def _quarter_field(shape: tuple[int, int], scale: float, rng: np.random.Generator) -> np.ndarray:
    """The field at a quarter of ``shape`` (float32): a smoothed coarse grid, cubic-interpolated."""
    if scale <= 0:
        raise ValueError("scale must be > 0")
    cell = max(scale * min(shape) / 2.0, 1.0)  # two grid cells per correlation length
    grid_shape = (math.ceil(shape[0] / cell) + 2, math.ceil(shape[1] / cell) + 2)
    grid = ndimage.gaussian_filter(rng.standard_normal(grid_shape), 1.0, mode="wrap")
    grid = ((grid - grid.mean()) / max(grid.std(), 1e-12)).astype(np.float32)
    quarter = (max(math.ceil(shape[1] / 4), 1), max(math.ceil(shape[0] / 4), 1))
    return cv2.resize(grid, quarter, interpolation=cv2.INTER_CUBIC)


def _upsample(quarter: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Linear interpolation to full size: creases at 4 px steps vanish in so smooth a field."""
    return cv2.resize(quarter, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)


def apply_fog(
    image: np.ndarray, transmission: np.ndarray | float, veil: float, *, out: np.ndarray | None = None
) -> np.ndarray:
    """The scattering model ``image * t + veil * (1 - t)`` (float32).

    Parameters
    ----------
    image : numpy.ndarray
        Clear image ``J``.
    transmission : numpy.ndarray or float
        ``t`` in [0, 1], an array of ``image``'s shape or a constant.
    veil : float
        Veil brightness ``A``.
    out : numpy.ndarray, optional
        float32 array to write the result to (may be ``image`` itself).
    """
    veil = np.float32(veil)
    out = np.subtract(np.asarray(image, np.float32), veil, out=out)
    out *= np.asarray(transmission, np.float32)
    out += veil
    return out
