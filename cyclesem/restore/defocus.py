"""Where an image is out of focus: a local blur-width map from the image alone.

Model: near an isolated structure the image is the structure blurred by a
Gaussian of local width ``sigma`` (px, standard deviation). Smoothing it
further with a Gaussian of scale ``s`` gives a peak gradient magnitude

    M(s) = C (sigma**2 + s**2) ** (-p / 2),

with ``p = 1`` for a step edge, ``p = 2`` for a thin line and ``p = 3`` for a
dot (the re-blurring idea of S. Zhuo and T. Sim, "Defocus map estimation from
a single image", Pattern Recognition 44, 2011, extended over several scales so
that lines and dots, common in SEM, are not mistaken for sharper edges).

:func:`defocus_map`

1. estimates the white-noise level (:func:`cyclesem.classical.estimate_noise_sigma`,
   a median of the finest Haar band: robust to structure);
2. finds edge points: local maxima of the gradient magnitude along the gradient
   at scale 1.5 px, at least :data:`EDGE_SNR` times the noise's gradient there;
3. at each point, measures ``M(s)`` at the scales :data:`SCALES` (noise power
   removed) and fits ``log M`` against ``log(sigma**2 + s**2)`` by least squares
   over the candidate widths :data:`WIDTHS`, ``p`` bounded to [1, 3];
4. takes a low weighted quantile of the widths per grid cell (:data:`CELL_QUANTILE`), fills cells without edges
   from their neighbours and smooths the grid.

The width is the *total* local blur, the instrument's own sharpness included:
sharp real SEM images read at most :data:`SHARP_WIDTH` (see experiments/README.md).
:func:`verdict` calls cells wider than :data:`SHARP_WIDTH` blurred.

Pure numpy/scipy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from cyclesem.restore.classical import estimate_noise_sigma

__all__ = [
    "SCALES",
    "WIDTHS",
    "EDGE_SNR",
    "SHARP_WIDTH",
    "IN_FOCUS_FRACTION",
    "OUT_OF_FOCUS_FRACTION",
    "VERDICTS",
    "DefocusMap",
    "defocus_map",
    "default_cell",
    "edge_widths",
    "verdict",
]

SCALES = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
"""Re-blurring scales (px) at which the gradient is measured."""
WIDTHS = tuple(np.round(np.arange(0.0, 12.01, 0.1), 2))
"""Candidate blur widths (px); the map cannot read more than the last."""
EDGE_SNR = 6.0
"""An edge point's gradient must exceed the noise's gradient std this many times."""
DETECT_SCALE = 1.5
MIN_POINTS = 30
"""Fewer edge points than this leave a cell to be filled from its neighbours."""
CELL_QUANTILE = 0.25
"""Weighted quantile of the point widths that stands for a cell: low, because blur widens every
edge of a region while the scene's own smooth shading only adds wide points."""

SHARP_WIDTH = 2.5
"""px: the map wider than this is out of focus (sharp real SEM reads narrower: experiments/README.md)."""
IN_FOCUS_FRACTION = 0.15
"""At most this fraction of the area blurred: the image is ``in focus``."""
OUT_OF_FOCUS_FRACTION = 0.9
"""At least this fraction blurred: ``out of focus``; in between: ``partly``."""
VERDICTS = ("in focus", "partly", "out of focus", "no detail")


@dataclass(frozen=True)
class DefocusMap:
    """Local blur width on a coarse grid.

    Attributes
    ----------
    widths : numpy.ndarray
        float32 grid, ``widths[i, j]`` the blur width (px, Gaussian std) of the
        cell of rows ``i * cell ...`` and columns ``j * cell ...``; all NaN when
        the image has no edge above the noise.
    cell : int
        Cell side in pixels.
    shape : tuple of int
        The image's shape.
    noise_sigma : float
        The noise level used (grey levels of the input's scale).
    points : int
        Edge points measured.
    """

    widths: np.ndarray
    cell: int
    shape: tuple[int, int]
    noise_sigma: float
    points: int

    def full(self) -> np.ndarray:
        """The map at the image's size (bilinear between cell centres), float32."""
        if not np.isfinite(self.widths).all():
            return np.full(self.shape, np.nan, np.float32)
        rows = (np.arange(self.shape[0]) + 0.5) / self.cell - 0.5
        cols = (np.arange(self.shape[1]) + 0.5) / self.cell - 0.5
        grid = np.asarray(self.widths, np.float64)
        along_rows = _linear(grid, rows, axis=0)
        return _linear(along_rows, cols, axis=1).astype(np.float32)

    def blurred_fraction(self, threshold: float = SHARP_WIDTH) -> float:
        """Fraction of the image's area whose width exceeds ``threshold`` (NaN without detail)."""
        full = self.full()
        return float(np.mean(full > threshold)) if np.isfinite(full).all() else math.nan

    def summary(self) -> dict:
        """Median, 90th percentile and largest width, blurred fraction and verdict."""
        finite = self.widths[np.isfinite(self.widths)]
        stats = (np.median(finite), np.percentile(finite, 90), finite.max()) if finite.size else (math.nan,) * 3
        return {
            "verdict": verdict(self),
            "median_px": float(stats[0]),
            "p90_px": float(stats[1]),
            "max_px": float(stats[2]),
            "blurred_fraction": self.blurred_fraction(),
            "noise_sigma": self.noise_sigma,
            "edge_points": self.points,
        }


def verdict(defocus: DefocusMap) -> str:
    """``in focus``, ``partly``, ``out of focus`` or ``no detail`` (no edge above the noise).

    The fraction ``f`` of the area wider than :data:`SHARP_WIDTH` decides:
    ``f <= IN_FOCUS_FRACTION`` in focus, ``f >= OUT_OF_FOCUS_FRACTION`` out of
    focus, partly in between.
    """
    fraction = defocus.blurred_fraction()
    if math.isnan(fraction):
        return "no detail"
    if fraction <= IN_FOCUS_FRACTION:
        return "in focus"
    return "out of focus" if fraction >= OUT_OF_FOCUS_FRACTION else "partly"


def default_cell(shape: tuple[int, int]) -> int:
    """Grid cell side for an image: an eighth of the shorter side, within 16..64 px."""
    return int(np.clip(min(shape) // 8, 16, 64))


def defocus_map(image, *, cell: int | None = None, noise_sigma: float | None = None) -> DefocusMap:
    """Estimate the local blur width of ``image`` on a grid of ``cell`` px.

    Parameters
    ----------
    image : array_like
        2-D image, at least 3 * 16 px on each side.
    cell : int, optional
        Grid cell side (px), at least 16; :func:`default_cell` when omitted.
    noise_sigma : float, optional
        Known white-noise std; estimated from the image when omitted.

    Returns
    -------
    DefocusMap

    Raises
    ------
    ValueError
        For a non-2-D, too small or non-finite image, or a cell under 16 px.
    """
    image = _as_image(image)
    cell = default_cell(image.shape) if cell is None else int(cell)
    if cell < 16:
        raise ValueError(f"cell must be at least 16 px, got {cell}")
    sigma = estimate_noise_sigma(image) if noise_sigma is None else float(noise_sigma)
    rows, cols, widths, weights = edge_widths(image, sigma)
    grid_shape = (-(-image.shape[0] // cell), -(-image.shape[1] // cell))
    grid = _cell_medians(rows // cell, cols // cell, widths, weights, grid_shape)
    return DefocusMap(_fill_and_smooth(grid), cell, image.shape, sigma, int(widths.size))


def edge_widths(image: np.ndarray, noise_sigma: float) -> tuple[np.ndarray, ...]:
    """Blur width at each edge point: ``(rows, cols, widths, weights)``.

    ``weights`` is the point's signal-to-noise ratio at the detection scale,
    capped at 50. Points closer to the border than twice the largest scale are
    left out (mirrored borders bias the large scales).
    """
    noise_grad = max(noise_sigma, 1e-6) / (np.asarray(SCALES) ** 2 * math.sqrt(8.0 * math.pi))
    detect_noise = max(noise_sigma, 1e-6) / (DETECT_SCALE**2 * math.sqrt(8.0 * math.pi))
    points, strength = _edge_points(image, DETECT_SCALE, EDGE_SNR * detect_noise)
    rows, cols = np.nonzero(points)
    power = np.stack([ndimage.gaussian_gradient_magnitude(image, s)[points] ** 2 for s in SCALES], axis=1)
    power = np.maximum(power - 2.0 * noise_grad**2, (0.25 * noise_grad) ** 2)  # remove the noise's power
    widths = _fit_widths(0.5 * np.log(power))
    weights = np.minimum(strength[points] / detect_noise, 50.0)
    return rows, cols, widths, weights


def _as_image(image) -> np.ndarray:
    image = np.asarray(image, dtype=np.float64)
    border = 2 * int(max(SCALES))
    if image.ndim != 2 or min(image.shape) < 3 * border:
        raise ValueError(f"expected a 2-D image of at least {3 * border} px a side, got shape {image.shape}")
    if not np.isfinite(image).all():
        raise ValueError("the image holds non-finite values")
    return image


def _edge_points(image: np.ndarray, scale: float, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Gradient maxima along the gradient direction (4 directions) above ``threshold``."""
    grad_y = ndimage.gaussian_filter(image, scale, order=(1, 0))
    grad_x = ndimage.gaussian_filter(image, scale, order=(0, 1))
    magnitude = np.hypot(grad_x, grad_y)
    direction = (np.round(np.arctan2(grad_y, grad_x) / (np.pi / 4)) % 4).astype(np.int8)
    padded = np.pad(magnitude, 1, mode="edge")
    height, width = image.shape
    points = np.zeros(image.shape, bool)
    for index, (dy, dx) in enumerate(((0, 1), (1, 1), (1, 0), (1, -1))):
        ahead = padded[1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width]
        behind = padded[1 - dy : 1 - dy + height, 1 - dx : 1 - dx + width]
        points |= (direction == index) & (magnitude >= ahead) & (magnitude > behind)
    border = 2 * int(max(SCALES))
    points[:border], points[-border:], points[:, :border], points[:, -border:] = False, False, False, False
    return points & (magnitude > threshold), magnitude


def _fit_widths(log_magnitude: np.ndarray) -> np.ndarray:
    """Per row of ``log M(s)``, the width of the best fit ``c - (p/2) log(w**2 + s**2)``, p in [1, 3]."""
    scales2 = np.asarray(SCALES) ** 2
    centred = log_magnitude - log_magnitude.mean(axis=1, keepdims=True)
    syy = np.sum(centred**2, axis=1)
    best = np.full(len(centred), np.inf)
    widths = np.zeros(len(centred))
    for width in WIDTHS:
        x = -0.5 * np.log(width**2 + scales2)
        x -= x.mean()
        sxx, sxy = float(x @ x), centred @ x
        p = np.clip(sxy / sxx, 1.0, 3.0)
        residual = syy - 2.0 * p * sxy + p * p * sxx
        better = residual < best
        best[better], widths[better] = residual[better], width
    return widths


def _cell_medians(cell_rows, cell_cols, widths, weights, grid_shape) -> np.ndarray:
    """Weighted :data:`CELL_QUANTILE` width per cell; NaN where fewer than :data:`MIN_POINTS` points fall."""
    grid = np.full(grid_shape, np.nan)
    index = cell_rows * grid_shape[1] + cell_cols
    order = np.lexsort((widths, index))
    index, widths, weights = index[order], widths[order], weights[order]
    starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]]) if index.size else np.array([], int)
    ends = np.r_[starts[1:], index.size]
    for start, end in zip(starts, ends):
        if end - start < MIN_POINTS:
            continue
        cumulative = np.cumsum(weights[start:end])
        middle = int(np.searchsorted(cumulative, CELL_QUANTILE * cumulative[-1]))
        grid.flat[index[start]] = widths[start + middle]
    return grid


def _fill_and_smooth(grid: np.ndarray, smoothing: float = 0.75) -> np.ndarray:
    """Fill empty cells from known ones (widening Gaussian averages), then smooth."""
    known = np.isfinite(grid)
    if not known.any():
        return grid.astype(np.float32)
    filled = grid.copy()
    spread = 1.0
    while not np.isfinite(filled).all():
        values = ndimage.gaussian_filter(np.where(known, grid, 0.0), spread, mode="nearest")
        counts = ndimage.gaussian_filter(known.astype(float), spread, mode="nearest")
        fill = ~np.isfinite(filled) & (counts > 1e-3)
        filled[fill] = values[fill] / counts[fill]
        spread *= 2.0
        if spread > 4 * max(grid.shape):
            filled[~np.isfinite(filled)] = np.median(grid[known])
    return ndimage.gaussian_filter(filled, smoothing, mode="nearest").astype(np.float32)


def _linear(values: np.ndarray, positions: np.ndarray, axis: int) -> np.ndarray:
    """Linear interpolation of ``values`` along ``axis`` at fractional ``positions`` (clamped)."""
    size = values.shape[axis]
    positions = np.clip(positions, 0.0, size - 1.0)
    low = np.floor(positions).astype(int)
    high = np.minimum(low + 1, size - 1)
    frac = positions - low
    shape = [1, 1]
    shape[axis] = -1
    frac = frac.reshape(shape)
    return np.take(values, low, axis=axis) * (1.0 - frac) + np.take(values, high, axis=axis) * frac
