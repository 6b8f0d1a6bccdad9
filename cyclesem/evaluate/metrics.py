"""Image-quality measures used to score restorations of SEM images.

Full-reference measures compare a restored image with the clear one:
:func:`psnr`, :func:`ssim` (equal to scikit-image's defaults). No-reference
measures describe one image, as in the SEM CycleGAN literature:
:func:`average_gradient` (AG), :func:`contrast` (CON), :func:`spatial_frequency`
(SF) and :func:`focus_measure` (variance of the Laplacian). They are computed on
the values as given (float images in [0, 1] give AG and SF in grey-level units
of that scale: multiply by 255, and CON by 255**2, to compare with values quoted
for 8-bit images).

No-reference measures grow with sharpness, but also with noise and ringing:
read them beside the clear image's values, not as "higher is better".

Pure numpy/scipy.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from cyclesem.data.registration import estimate_shift, overlap

__all__ = [
    "FULL_REFERENCE",
    "NO_REFERENCE",
    "METRICS",
    "psnr",
    "ssim",
    "average_gradient",
    "contrast",
    "spatial_frequency",
    "focus_measure",
    "no_reference_scores",
    "score_pair",
]

FULL_REFERENCE = ("psnr", "ssim")
NO_REFERENCE = ("ag", "con", "sf", "focus")
METRICS = FULL_REFERENCE + NO_REFERENCE

_SSIM_WINDOW = 7
_SSIM_K1, _SSIM_K2 = 0.01, 0.03


def _pair(reference, image) -> tuple[np.ndarray, np.ndarray]:
    reference = np.asarray(reference, dtype=np.float64)
    image = np.asarray(image, dtype=np.float64)
    if reference.ndim != 2 or reference.shape != image.shape:
        raise ValueError(f"expected two 2-D images of one shape, got {reference.shape} and {image.shape}")
    return reference, image


def _single(image) -> np.ndarray:
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2 or min(image.shape) < 2:
        raise ValueError(f"expected a 2-D image of at least 2x2 pixels, got shape {image.shape}")
    return image


def psnr(reference, image, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio (dB).

    ``PSNR = 10 log10(data_range**2 / MSE)``, ``MSE = mean((reference - image)**2)``;
    ``inf`` for identical images. Equal to
    ``skimage.metrics.peak_signal_noise_ratio(reference, image, data_range=...)``.
    """
    reference, image = _pair(reference, image)
    mse = float(np.mean((reference - image) ** 2))
    return math.inf if mse == 0.0 else 10.0 * math.log10(data_range**2 / mse)


def ssim(reference, image, data_range: float = 1.0) -> float:
    """Mean structural similarity (Wang et al., IEEE Trans. Image Process. 13, 2004).

    Local means, variances and covariance come from a 7x7 uniform window
    (mirrored borders; sample covariance, ``N / (N - 1)``), and

        SSIM = (2 mu_x mu_y + C1)(2 s_xy + C2) / ((mu_x**2 + mu_y**2 + C1)(s_x**2 + s_y**2 + C2)),

    ``C1 = (0.01 L)**2``, ``C2 = (0.03 L)**2``, ``L = data_range``, averaged
    away from a 3-pixel border: the defaults of
    ``skimage.metrics.structural_similarity`` for grey images.
    """
    reference, image = _pair(reference, image)
    if min(reference.shape) < _SSIM_WINDOW:
        raise ValueError(f"SSIM needs images of at least {_SSIM_WINDOW}x{_SSIM_WINDOW} pixels")
    count = _SSIM_WINDOW**2
    cov_norm = count / (count - 1.0)

    def local_mean(values):
        return ndimage.uniform_filter(values, size=_SSIM_WINDOW)

    mean_x, mean_y = local_mean(reference), local_mean(image)
    var_x = cov_norm * (local_mean(reference * reference) - mean_x * mean_x)
    var_y = cov_norm * (local_mean(image * image) - mean_y * mean_y)
    cov_xy = cov_norm * (local_mean(reference * image) - mean_x * mean_y)
    c1, c2 = (_SSIM_K1 * data_range) ** 2, (_SSIM_K2 * data_range) ** 2
    numerator = (2 * mean_x * mean_y + c1) * (2 * cov_xy + c2)
    denominator = (mean_x**2 + mean_y**2 + c1) * (var_x + var_y + c2)
    pad = (_SSIM_WINDOW - 1) // 2
    return float(np.mean((numerator / denominator)[pad:-pad, pad:-pad]))


def average_gradient(image) -> float:
    """Average gradient (AG), the mean local slope.

    ``AG = mean over i < M-1, j < N-1 of sqrt((dx**2 + dy**2) / 2)``, with forward
    differences ``dx = F(i, j+1) - F(i, j)`` and ``dy = F(i+1, j) - F(i, j)``.
    A flat image has AG = 0; a ramp of slope ``a`` along x has ``AG = a / sqrt(2)``.
    """
    image = _single(image)
    dx = image[:-1, 1:] - image[:-1, :-1]
    dy = image[1:, :-1] - image[:-1, :-1]
    return float(np.mean(np.sqrt((dx * dx + dy * dy) / 2.0)))


def contrast(image) -> float:
    """Contrast (CON): grey-level co-occurrence contrast of neighbouring pixels.

    ``CON = sum_{i,j} (i - j)**2 P(i, j)``, ``P`` the normalised co-occurrence
    matrix of pixel pairs one step apart horizontally and vertically (both
    orders). Without quantisation this is the mean squared difference of
    4-connected neighbours, ``CON = (mean(dx**2) + mean(dy**2)) / 2``; on an 8-bit
    image scaled by 255 it equals the mean of ``skimage.feature.graycoprops(...,
    "contrast")`` over distance 1, angles 0 and 90 degrees (symmetric, normed).
    """
    image = _single(image)
    return float((np.mean(np.diff(image, axis=1) ** 2) + np.mean(np.diff(image, axis=0) ** 2)) / 2.0)


def spatial_frequency(image) -> float:
    """Spatial frequency (SF, Eskicioglu and Fisher, IEEE Trans. Commun. 43, 1995).

    ``SF = sqrt(RF**2 + CF**2)`` with row frequency
    ``RF = sqrt(mean((F(i, j) - F(i, j-1))**2))`` and column frequency
    ``CF = sqrt(mean((F(i, j) - F(i-1, j))**2))``, each mean over the pairs that
    exist. A flat image has SF = 0; a ramp of slope ``a`` has ``SF = a``; a
    0/1 checkerboard has ``SF = sqrt(2)``.
    """
    image = _single(image)
    row_frequency = np.mean(np.diff(image, axis=1) ** 2)
    column_frequency = np.mean(np.diff(image, axis=0) ** 2)
    return float(math.sqrt(row_frequency + column_frequency))


def focus_measure(image) -> float:
    """Focus measure: variance of the Laplacian (Pech-Pacheco et al., ICPR 2000).

    ``FM = var(L)``, ``L(i, j) = F(i-1, j) + F(i+1, j) + F(i, j-1) + F(i, j+1) - 4 F(i, j)``
    over interior pixels. Zero for flat images and ramps; it rises steeply with fine
    detail, and with noise.
    """
    image = _single(image)
    if min(image.shape) < 3:
        return 0.0
    centre = image[1:-1, 1:-1]
    laplacian = image[:-2, 1:-1] + image[2:, 1:-1] + image[1:-1, :-2] + image[1:-1, 2:] - 4.0 * centre
    return float(np.var(laplacian))


def no_reference_scores(image) -> dict[str, float]:
    """``{"ag", "con", "sf", "focus"}`` of one image."""
    return {
        "ag": average_gradient(image),
        "con": contrast(image),
        "sf": spatial_frequency(image),
        "focus": focus_measure(image),
    }


def score_pair(
    reference,
    image,
    register: bool = False,
    *,
    shift: tuple[float, float] | None = None,
    data_range: float = 1.0,
) -> dict[str, float]:
    """Score ``image`` against the clear ``reference``.

    Parameters
    ----------
    reference : array_like
        The clear image.
    image : array_like
        The image to score (for example a restoration), same shape.
    register : bool
        Register ``image`` onto ``reference`` first (sub-pixel phase correlation,
        :func:`cyclesem.data.registration.estimate_shift`) and compute PSNR and SSIM on
        their overlap only. For real pairs, two exposures of one field.
    shift : (float, float), optional
        A known ``(dy, dx)`` to apply instead of estimating one (for example the
        shift of the blurry input, shared by all its restorations).
    data_range : float
        Range of the grey levels, for PSNR and SSIM.

    Returns
    -------
    dict
        ``psnr``, ``ssim`` (full reference, on the overlap when registered) and
        ``ag``, ``con``, ``sf``, ``focus`` (no reference, on the whole ``image``).
    """
    reference, image = _pair(reference, image)
    if shift is None and register:
        shift = estimate_shift(reference, image)
    if shift is not None:
        reference_part, image_part = overlap(reference, image, shift)
    else:
        reference_part, image_part = reference, image
    scores = {
        "psnr": psnr(reference_part, image_part, data_range),
        "ssim": ssim(reference_part, image_part, data_range),
    }
    scores.update(no_reference_scores(image))
    return scores
