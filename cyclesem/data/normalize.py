"""Robust intensity normalisation with a ``before`` / ``after`` protocol.

Networks see images whose low and high percentiles map to 0 and 1;
:meth:`PercentileNormalizer.after` maps a prediction back to the input's units,
so an enhanced 16-bit image keeps its grey levels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["FixedNormalizer", "PercentileNormalizer", "NormParams", "shared_levels"]

_MAX_SAMPLES = 1 << 20  # percentiles of huge images come from a strided sample


@dataclass(frozen=True)
class NormParams:
    """The affine map of one image: ``normalised = (x - low) / (high - low)``."""

    low: float
    high: float


@dataclass(frozen=True)
class PercentileNormalizer:
    """Map the ``low``-th and ``high``-th percentiles of an image to 0 and 1.

    Parameters
    ----------
    low, high : float
        Percentiles (0..100). Defaults keep a little headroom for highlights.
    """

    low: float = 0.5
    high: float = 99.5

    def params(self, image: np.ndarray) -> NormParams:
        """Percentile levels of ``image`` (a strided sample for large images)."""
        flat = np.asarray(image).reshape(-1)
        step = max(1, flat.size // _MAX_SAMPLES)
        lo, hi = np.percentile(flat[::step], [self.low, self.high])
        if not np.isfinite(lo) or not np.isfinite(hi):
            raise ValueError("image holds non-finite values")
        if hi - lo < 1e-6:
            hi = lo + 1e-6
        return NormParams(float(lo), float(hi))

    def before(self, image: np.ndarray, params: NormParams | None = None):
        """Normalise ``image``; returns ``(normalised float32, params)``."""
        params = params or self.params(image)
        scale = np.float32(1.0 / (params.high - params.low))
        out = (np.asarray(image, np.float32) - np.float32(params.low)) * scale
        return out, params

    def after(self, normalised: np.ndarray, params: NormParams) -> np.ndarray:
        """Map a normalised image (or prediction) back to the input's units."""
        scale = np.float32(params.high - params.low)
        return np.asarray(normalised, np.float32) * scale + np.float32(params.low)


@dataclass(frozen=True)
class FixedNormalizer(PercentileNormalizer):
    """The same levels for every image: ``(x - low_level) / (high_level - low_level)``.

    A run trained with shared normalisation keeps the brightness and contrast
    relation between its blurry and clear folders (a veil, a contrast loss),
    which per-image percentiles would erase; every image it enhances is mapped
    with the same levels.
    """

    low_level: float = 0.0
    high_level: float = 1.0

    def params(self, image: np.ndarray) -> NormParams:
        """The fixed levels (``image`` is not looked at)."""
        return NormParams(float(self.low_level), float(self.high_level))


def shared_levels(images, low: float, high: float) -> tuple[float, float]:
    """The ``low``-th and ``high``-th percentiles of all ``images`` pooled (each image weighs the same).

    Parameters
    ----------
    images : iterable of numpy.ndarray
        Images in their file's units (as :func:`cyclesem.io.read_image` gives them).
    low, high : float
        Percentiles (0..100).

    Returns
    -------
    (float, float)
        The levels, ``high > low``.
    """
    samples = []
    for image in images:
        flat = np.asarray(image, np.float32).reshape(-1)
        samples.append(flat[:: max(1, flat.size // 65536)][:65536])
    if not samples:
        raise ValueError("no images to take levels from")
    lo, hi = np.percentile(np.concatenate(samples), [low, high])
    if not np.isfinite(lo) or not np.isfinite(hi):
        raise ValueError("images hold non-finite values")
    return float(lo), float(max(hi, lo + 1e-6))
