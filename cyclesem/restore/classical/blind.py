"""Blind deconvolution: fit a round Gaussian PSF to the image itself, then self-tuned Wiener."""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize

from cyclesem.restore.classical import fourier
from cyclesem.restore.classical._checks import as_image
from cyclesem.restore.classical.deconvolution import self_tuned_wiener
from cyclesem.restore.classical.noise import estimate_noise_sigma
from cyclesem.restore.classical.psf import gaussian_psf

__all__ = ["blind_deconvolution"]


_BLIND_SIGMAS = tuple(np.round(np.arange(0.5, 4.01, 0.25), 2))
_BLIND_CROP = 384  # px: the PSF is estimated on a central crop at most this big


def blind_deconvolution(image, *, sigmas=_BLIND_SIGMAS, noise_sigma: float | None = None):
    """Deconvolve without a PSF: fit a round Gaussian PSF, then self-tuned Wiener.

    Parameters
    ----------
    image : array_like
        2-D blurred image.
    sigmas : sequence of float
        Candidate PSF widths (px, standard deviation).
    noise_sigma : float, optional
        Noise standard deviation; estimated from the image if omitted.

    Returns
    -------
    restored : numpy.ndarray
        float32 image, :func:`self_tuned_wiener` with the fitted PSF.
    psf : numpy.ndarray
        The fitted PSF (float32, sums to 1).

    Notes
    -----
    The PSF is modelled as an isotropic Gaussian of width ``s``. Two criteria,
    on a central crop of at most 384 x 384 px:

    1. Spectrum fit, an upper bound: the power spectrum of the periodic
       component is fitted by maximum likelihood with
       ``E|Y(f)|**2 = A |f|**-alpha exp(-4 pi**2 s**2 |f|**2) + sigma**2``
       (a power-law scene, Gaussian blur, white noise; ``A`` and ``alpha`` free).
       A scene that is itself smooth makes this fit too wide.
    2. Sparsest gradients: among the candidates not wider than that bound, the
       ``s`` whose self-tuned Wiener restoration has the smallest normalised
       gradient sparsity ``||grad x||_1 / ||grad x||_2`` (D. Krishnan et al.,
       CVPR 2011). Blur and ringing both make gradients less sparse.

    Limits: an elliptical, rotated or defocus (disk) PSF is approximated by the
    round Gaussian that sharpens best, which under-corrects it; the criteria
    lean towards narrow PSFs (a small correction) rather than wide ones
    (ringing); strongly periodic scenes, heavy noise and non-uniform blur
    confuse them; one PSF is assumed for the whole image.
    """
    image = as_image(image)
    sigma = estimate_noise_sigma(image) if noise_sigma is None else float(noise_sigma)
    crop = fourier.central_crop(image, _BLIND_CROP)
    bound = _spectrum_fit_width(crop, sigma, sorted(sigmas))
    candidates = [s for s in sorted(sigmas) if s <= bound] or [min(sigmas)]
    scores = [_gradient_sparsity(self_tuned_wiener(crop, gaussian_psf(s), noise_sigma=sigma)) for s in candidates]
    psf = gaussian_psf(candidates[int(np.argmin(scores))])
    return self_tuned_wiener(image, psf, noise_sigma=sigma), psf



def _gradient_sparsity(image: np.ndarray, border: int = 8) -> float:
    """``||grad x||_1 / ||grad x||_2`` (normalised by sqrt(count)) away from the border."""
    inner = image[border:-border, border:-border] if min(image.shape) > 4 * border else image
    grads = np.concatenate([np.abs(np.diff(inner, axis=0)).ravel(), np.abs(np.diff(inner, axis=1)).ravel()])
    energy = math.sqrt(float(np.sum(grads.astype(np.float64) ** 2)))
    return float(np.sum(grads, dtype=np.float64) / max(energy, 1e-30) / math.sqrt(grads.size))


def _spectrum_fit_width(image: np.ndarray, noise_sigma: float, sigmas: list[float], bins: int = 96) -> float:
    """The Gaussian width whose spectrum model fits the image's best (max. likelihood)."""
    power = np.abs(fourier.periodic_spectrum(image)) ** 2 / image.size
    freq_y, freq_x = fourier.frequencies(image.shape)
    radius2 = (freq_y**2 + freq_x**2).ravel()
    keep = radius2 > (2.0 / min(image.shape)) ** 2
    edges = np.geomspace(np.sqrt(radius2[keep].min()), np.sqrt(0.5) + 1e-9, bins + 1)
    which = np.digitize(np.sqrt(radius2[keep]), edges) - 1
    weights = fourier.rfft_weights(image.shape).ravel()[keep]
    counts = np.bincount(which, weights, minlength=bins)
    used = counts > 0
    mean_power = np.bincount(which, weights * power.ravel()[keep], minlength=bins)[used] / counts[used]
    mean_r2 = np.bincount(which, weights * radius2[keep], minlength=bins)[used] / counts[used]
    counts, log_r2 = counts[used], np.log(mean_r2)
    floor = noise_sigma**2 + 1e-20

    def neg_log_likelihood(params, attenuation):
        model = np.exp(params[0] - 0.5 * params[1] * log_r2) * attenuation + floor
        return float(np.sum(counts * (np.log(model) + mean_power / model)))

    start = [float(np.log(np.median(mean_power * mean_r2))), 2.0]
    fits = []
    for s in sigmas:
        attenuation = np.exp(-4.0 * np.pi**2 * s**2 * mean_r2)
        fits.append(optimize.minimize(neg_log_likelihood, start, args=(attenuation,), method="Nelder-Mead").fun)
    return sigmas[int(np.argmin(fits))]
