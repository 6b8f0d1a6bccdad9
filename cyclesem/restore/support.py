"""Keep only the detail the input can support: a Wiener gain from the input's own spectrum.

A restoration network trained on synthetic degradations fills in detail its training
content made predictable. Where the input holds nothing of it (frequencies at which the
blurred signal has sunk below the noise), that detail is a guess, and on real defocused SEM
images the guess is wrong: on the real defocus pairs the detail a network puts at such
frequencies hardly agrees with the sharp partner, and errs more there than no detail at all
(see ``experiments/README.md``, "Keeping only supported detail").

:func:`limit_to_support` filters a restored image by the radial gain ``S / (S + N)`` of
its *input*: ``N`` is the input's white-noise power (:func:`~cyclesem.restore.classical.noise.estimate_noise_sigma`),
``S`` the input's radially averaged power above it (:func:`support_gain`). Frequencies the
input carries well above its noise pass unchanged (an in-focus image keeps its detail);
frequencies at or below the noise floor are removed. Nothing is fitted to data: the gain is
the classical Wiener gain of the input's spectrum, applied to the restoration instead of
the input, so what the network did *within* the supported band (deblurring, denoising) is
kept.

Pure numpy; one global spectrum per image (the blur is assumed the same over the image;
isotropic, as the radial average is).
"""

from __future__ import annotations

import numpy as np

from cyclesem.errors import CyclesemError
from cyclesem.restore.classical import fourier
from cyclesem.restore.classical.noise import estimate_noise_sigma

__all__ = ["DESCRIPTION", "limit_to_support", "support_gain"]

DESCRIPTION = "output limited to the detail its input supports"
"""How reports and ``describe()`` lines name the limit."""
SPECTRUM_CROP = 1024
"""px: the input's spectrum is measured on a central crop at most this big."""
MIN_SIDE = 8
"""px: the smallest side whose spectrum :func:`support_gain` measures."""
PAD = 64
"""px: mirrored margin around the restored image before filtering (no wrap-around at the borders)."""


def support_gain(image, *, noise_sigma: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The radial Wiener gain ``S / (S + N)`` of ``image``'s own power spectrum.

    Parameters
    ----------
    image : array_like
        2-D image (the input of a restoration), at least :data:`MIN_SIDE` px on each side.
    noise_sigma : float, optional
        Standard deviation of its white noise; estimated from the image if omitted.

    Returns
    -------
    frequencies : numpy.ndarray
        Radial frequencies (cycles per px, 0 to 0.75), increasing; the first is 0.
    gain : numpy.ndarray
        The gain at each, in [0, 1]; 1 at frequency 0 (the mean is always kept).

    Notes
    -----
    On a central crop (at most :data:`SPECTRUM_CROP` px) with a Hann window ``w``: the
    periodogram ``P = |FFT(w (x - mean x))|**2`` is averaged over rings of width
    ``max(2 / size, 0.004)``; white noise of variance ``sigma**2`` contributes
    ``N = sigma**2 sum(w**2)`` to every ring, so ``S = max(P - N, 0)`` and the gain is
    ``S / (S + N)``. Empty rings take their neighbours' gain.
    """
    image = np.asarray(image, np.float64)
    if image.ndim != 2 or min(image.shape) < MIN_SIDE:
        raise CyclesemError(f"need a 2-D image of at least {MIN_SIDE} x {MIN_SIDE} px, got shape {image.shape}")
    if not np.isfinite(image).all():
        raise CyclesemError("the image holds non-finite values (NaN or infinity)")
    sigma = estimate_noise_sigma(image) if noise_sigma is None else float(noise_sigma)
    crop = fourier.central_crop(image, SPECTRUM_CROP)
    window = np.outer(np.hanning(crop.shape[0]), np.hanning(crop.shape[1]))
    power = np.abs(np.fft.rfft2((crop - crop.mean()) * window)) ** 2
    radius = _radius(crop.shape)
    width = max(2.0 / min(crop.shape), 0.004)
    rings = np.minimum((radius / width).astype(np.int64), int(0.75 / width))
    count = np.bincount(rings.ravel(), minlength=rings.max() + 1)
    total = np.bincount(rings.ravel(), power.ravel(), minlength=rings.max() + 1)
    centres = (np.arange(count.size) + 0.5) * width
    filled = count > 0
    mean_power = total[filled] / count[filled]
    noise = sigma**2 * float((window**2).sum())
    signal = np.maximum(mean_power - noise, 0.0)
    gain = signal / np.maximum(signal + noise, 1e-300)
    return np.concatenate([[0.0], centres[filled]]), np.concatenate([[1.0], gain])


def limit_to_support(restored, image, *, noise_sigma: float | None = None) -> np.ndarray:
    """Filter ``restored`` by the support gain of its input ``image`` (:func:`support_gain`).

    Parameters
    ----------
    restored : array_like
        2-D restoration of ``image``, same shape.
    image : array_like
        The 2-D input it was restored from.
    noise_sigma : float, optional
        The input's noise standard deviation; estimated if omitted.

    Returns
    -------
    numpy.ndarray
        float32, same shape: ``restored`` with every frequency scaled by the gain the input's
        spectrum gives it (mirrored margins of :data:`PAD` px keep the borders clean); an
        image narrower than :data:`MIN_SIDE` px has no spectrum to measure and comes back as it is.

    Raises
    ------
    CyclesemError
        If the shapes differ, an image is not 2-D, or it holds non-finite values.
    """
    restored = np.asarray(restored, np.float64)
    image = np.asarray(image)
    if restored.shape != image.shape:
        raise CyclesemError(f"restored shape {restored.shape} differs from the input's {image.shape}")
    if not np.isfinite(restored).all():
        raise CyclesemError("the restored image holds non-finite values (NaN or infinity)")
    if restored.ndim == 2 and min(restored.shape) < MIN_SIDE:
        return restored.astype(np.float32)  # too small for a spectrum: nothing to measure support on
    frequencies, gain = support_gain(image, noise_sigma=noise_sigma)
    rows = min(PAD, restored.shape[0] - 1)
    cols = min(PAD, restored.shape[1] - 1)
    padded = np.pad(restored, ((rows, rows), (cols, cols)), mode="symmetric")
    spectrum = np.fft.rfft2(padded)
    spectrum *= np.interp(_radius(padded.shape), frequencies, gain)
    filtered = np.fft.irfft2(spectrum, s=padded.shape)
    return filtered[rows : rows + restored.shape[0], cols : cols + restored.shape[1]].astype(np.float32)


def _radius(shape: tuple[int, int]) -> np.ndarray:
    """Radial frequency (cycles per px) of every ``rfft2`` coefficient of an image of ``shape``."""
    return np.hypot(*fourier.frequencies(shape))

