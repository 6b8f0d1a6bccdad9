"""Sharpening without a PSF: unsharp masking."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from cyclesem.restore.classical._checks import as_image

__all__ = ["unsharp_mask"]


def unsharp_mask(image, radius: float = 2.0, amount: float = 1.0) -> np.ndarray:
    """Unsharp masking: add back the detail a Gaussian blur removes.

    Parameters
    ----------
    image : array_like
        2-D image.
    radius : float
        Standard deviation (px) of the Gaussian blur.
    amount : float
        How much detail to add.

    Returns
    -------
    numpy.ndarray
        float32 ``x = y + amount * (y - g * y)``, with ``g`` the Gaussian
        (mirrored borders); not clipped. It needs no PSF and sharpens any image,
        including its noise.
    """
    image = as_image(image)
    blurred = ndimage.gaussian_filter(image, radius, mode="reflect")
    return (image + np.float32(amount) * (image - blurred)).astype(np.float32)
