"""Input checks shared by the classical methods: float32 2-D images, normalised PSFs."""

from __future__ import annotations

import numpy as np


def as_image(image) -> np.ndarray:
    """``image`` as a float32 2-D array of at least 2x2 pixels (``ValueError`` otherwise)."""
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2 or min(image.shape) < 2:
        raise ValueError(f"expected a 2-D image of at least 2x2 pixels, got shape {image.shape}")
    return image


def as_psf(psf) -> np.ndarray:
    """``psf`` as a float64 2-D array normalised to sum 1 (``ValueError`` otherwise)."""
    psf = np.asarray(psf, dtype=np.float64)
    total = psf.sum() if psf.ndim == 2 else 0.0
    if psf.ndim != 2 or not np.isfinite(total) or total <= 0:
        raise ValueError("the PSF must be a 2-D array with a positive, finite sum")
    return psf / total


def margin(psf: np.ndarray) -> int:
    """Padding (px) a deconvolution with ``psf`` needs on each side."""
    return int(max(psf.shape))
