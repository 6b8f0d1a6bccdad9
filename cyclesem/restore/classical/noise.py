"""Estimating the noise level of a blurred image (for tuning the classical methods)."""

from __future__ import annotations

import numpy as np

from cyclesem.restore.classical._checks import as_image

__all__ = ["estimate_noise_sigma"]

_MAD_TO_SIGMA = 1.0 / 0.6744897501960817  # median(|N(0, 1)|)


def estimate_noise_sigma(image) -> float:
    """Standard deviation of white noise in ``image``, from its finest wavelet band.

    Parameters
    ----------
    image : array_like
        2-D image.

    Returns
    -------
    float
        ``sigma = median(|d|) / 0.6745``, with ``d`` the diagonal coefficients of
        the one-level orthonormal Haar transform,
        ``d = (a - b - c + e) / 2`` over each 2x2 block ``[[a, b], [c, e]]``
        (D. Donoho, "De-noising by soft-thresholding", IEEE Trans. Inf. Theory
        41, 1995).

    Notes
    -----
    Blur removes the finest details, so in a blurred image that band holds
    mostly noise. Fine texture the blur left in raises the estimate; noise that
    depends on brightness (shot noise) is reported as one typical level.
    """
    image = as_image(image).astype(np.float64)
    rows, cols = image.shape[0] // 2 * 2, image.shape[1] // 2 * 2
    a, b = image[0:rows:2, 0:cols:2], image[0:rows:2, 1:cols:2]
    c, e = image[1:rows:2, 0:cols:2], image[1:rows:2, 1:cols:2]
    diagonal = (a - b - c + e) / 2.0
    return float(np.median(np.abs(diagonal)) * _MAD_TO_SIGMA)
