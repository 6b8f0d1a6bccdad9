"""Robust intensity normalisation with a ``before`` / ``after`` protocol.

Networks see images whose low and high percentiles map to 0 and 1;
:meth:`PercentileNormalizer.after` maps a prediction back to the input's units,
so an enhanced 16-bit image keeps its grey levels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["PercentileNormalizer", "NormParams"]

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
