"""Keeping a restoration's grey levels: its large-scale brightness and contrast are the input's.

Blur (a point spread function that sums to one) leaves the largest scales of an
image unchanged: a defocused frame has the brightness and the large-scale
contrast of its in-focus partner. A restorer should change only the scales the
blur took away; when it also shifts brightness or stretches contrast (a network
trained on another folder's grey levels, or one that over-sharpens), every
pixel carries that error.

:func:`keep_grey_levels` fits one gain and one offset that map the restoration's
large scales onto the input's (least squares between the two images smoothed by
a Gaussian of :data:`LARGE_SCALE` px) and applies them to the whole
restoration. Detail is kept as restored, only rescaled with the image. Pure
numpy / scipy, nothing fitted to data.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["DESCRIPTION", "LARGE_SCALE", "gain_offset", "keep_grey_levels", "large_scale", "large_scale_contrast"]

LARGE_SCALE = 32.0
"""px: sigma of the Gaussian that keeps only the scales blur leaves alone."""

DESCRIPTION = "grey levels kept (gain and offset fitted to the input's large scales)"
"""How reports and ``describe()`` name :func:`keep_grey_levels`."""


def large_scale(image, sigma: float = LARGE_SCALE) -> np.ndarray:
    """``image`` smoothed by a Gaussian of ``sigma`` px (mirrored at the borders), float64.

    ``sigma`` is capped at a quarter of the shorter side, so small images keep
    some variation to fit against.
    """
    image = np.asarray(image, np.float64)
    if image.ndim != 2:
        raise ValueError(f"expected a 2-D image, got shape {image.shape}")
    return ndimage.gaussian_filter(image, min(float(sigma), min(image.shape) / 4.0), mode="mirror")


def large_scale_contrast(image, sigma: float = LARGE_SCALE) -> float:
    """Standard deviation of :func:`large_scale` of ``image``: its contrast at the scales blur keeps."""
    return float(large_scale(image, sigma).std())


def gain_offset(restored, image, sigma: float = LARGE_SCALE) -> tuple[float, float]:
    """Gain and offset that best map ``restored``'s large scales onto ``image``'s (least squares).

    Returns ``(1, mean difference)`` when ``restored`` has no large-scale
    variation to fit a gain to.
    """
    target, source = large_scale(image, sigma), large_scale(restored, sigma)
    source_centred = source - source.mean()
    variance = float(np.mean(source_centred ** 2))
    if variance <= 1e-12 * max(float(np.mean(source ** 2)), 1e-30):
        return 1.0, float(target.mean() - source.mean())
    gain = float(np.mean(source_centred * (target - target.mean())) / variance)
    return gain, float(target.mean() - gain * source.mean())


def keep_grey_levels(restored, image, *, sigma: float = LARGE_SCALE) -> np.ndarray:
    """``restored`` with the brightness and large-scale contrast of ``image``.

    Parameters
    ----------
    restored : array_like
        2-D restoration of ``image``.
    image : array_like
        The input it was restored from, same shape.
    sigma : float
        Gaussian sigma (px) of the large scales compared (:data:`LARGE_SCALE`).

    Returns
    -------
    numpy.ndarray
        ``gain * restored + offset`` (:func:`gain_offset`), in ``restored``'s float dtype.

    Raises
    ------
    ValueError
        If the shapes differ or the images are not 2-D.

    Examples
    --------
    >>> image = np.linspace(0, 1, 64 * 64).reshape(64, 64)
    >>> bool(np.allclose(keep_grey_levels(1.2 * image + 0.1, image), image, atol=1e-6))
    True
    """
    restored = np.asarray(restored)
    image = np.asarray(image)
    if restored.shape != image.shape:
        raise ValueError(f"shapes differ: restored {restored.shape}, input {image.shape}")
    dtype = restored.dtype if np.issubdtype(restored.dtype, np.floating) else np.float32
    gain, offset = gain_offset(restored, image, sigma)
    return (gain * restored.astype(np.float64) + offset).astype(dtype)
