"""Every training loss, written with :mod:`keras.ops` (portable to JAX), named for what it computes.

Images are ``(batch, height, width, channels)``; everything is computed in
float32 (safe under mixed precision). Discriminator scores are the PatchGAN maps.

CycleGAN (:func:`cycle_gan_losses`, weights
:class:`~cyclesem.config.cyclegan.CycleGanLossWeights`):

- LSGAN (least squares GAN, Mao et al. 2017): the discriminator pushes real
  scores to 1 and fake ones to 0, the generator pushes fake scores to 1.
- L1: mean absolute difference (cycle consistency and identity).
- SSIM loss: ``1 - mean SSIM`` (Gaussian window 11, sigma 1.5; ``max_val`` is
  the data range, 1 for normalised images). Zero for identical images.
- Edge loss (:func:`sobel_magnitude_l1`): mean absolute difference of Sobel
  gradient magnitudes ``sqrt(gx**2 + gy**2)``. Zero for identical images,
  positive when one of them is blurred.

Supervised restoration, MIDNet's ``L = l1 * L1 + edge * L_edge + fft * L_fft``
(:func:`restoration_loss_terms`, weights
:class:`~cyclesem.config.supervised.RestorationLossWeights`, by default 1, 0.05
and 0.01):

- ``L1``: :func:`l1_loss`.
- ``MSE`` (weight ``mse``, 0 in MIDNet's recipe): :func:`squared_error`. L1, edge, FFT
  and SSIM terms reward detail of the right size even where it is only guessed; the
  squared error is least for the conditional mean, which blurs what the input cannot tell.
- ``L_edge`` (:func:`sobel_gradient_l1`): mean absolute difference of the
  **Sobel** gradients themselves (both directions, reflect-padded borders, as
  :func:`keras.ops.image.sobel_edges`), not of their magnitudes.
- ``L_fft`` (:func:`spectrum_l1`): mean absolute difference of the
  unnormalised 2-D FFTs, over the real and imaginary parts together
  (``mean(|dRe|, |dIm|)`` over all frequencies). A constant offset ``c`` on an
  N x N image appears only at DC (``c * N**2``), so it costs ``c / 2``.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from cyclesem.config.supervised import RestorationLossWeights

__all__ = [
    "cycle_gan_losses",
    "l1_loss",
    "squared_error",
    "lsgan_discriminator_loss",
    "lsgan_generator_loss",
    "reconstruction_losses",
    "restoration_loss_terms",
    "sobel_gradient_l1",
    "sobel_magnitude",
    "sobel_magnitude_l1",
    "spectrum_l1",
    "intensity_distance",
    "spectral_distance",
    "ssim_loss",
]

_MAGNITUDE_EPSILON = 1e-12  # keeps the gradient of sqrt finite at flat regions


def _f32(x):
    return ops.cast(x, "float32")


def lsgan_generator_loss(fake_scores):
    """``mean((D(fake) - 1)^2)``: the generator wants its fakes scored real."""
    return ops.mean(ops.square(_f32(fake_scores) - 1.0))


def lsgan_discriminator_loss(real_scores, fake_scores):
    """``(mean((D(real) - 1)^2) + mean(D(fake)^2)) / 2``."""
    real = ops.mean(ops.square(_f32(real_scores) - 1.0))
    fake = ops.mean(ops.square(_f32(fake_scores)))
    return 0.5 * (real + fake)


def l1_loss(a, b):
    """Mean absolute difference."""
    return ops.mean(ops.abs(_f32(a) - _f32(b)))


def squared_error(a, b):
    """Mean squared difference: its minimiser is the conditional mean, what PSNR rewards."""
    return ops.mean(ops.square(_f32(a) - _f32(b)))


def ssim_loss(a, b, max_val: float = 1.0):
    """``1 - mean SSIM`` of two image batches (each side at least 11 pixels)."""
    return 1.0 - ops.mean(ops.image.ssim(_f32(a), _f32(b), max_val=max_val))


def sobel_magnitude(images):
    """Sobel gradient magnitude of each channel, same shape as ``images``."""
    edges = ops.image.sobel_edges(_f32(images))  # (..., channels, [dy, dx])
    return ops.sqrt(ops.sum(ops.square(edges), axis=-1) + _MAGNITUDE_EPSILON)


def sobel_magnitude_l1(a, b):
    """Mean absolute difference of Sobel gradient magnitudes (the CycleGAN's edge term)."""
    return ops.mean(ops.abs(sobel_magnitude(a) - sobel_magnitude(b)))


def reconstruction_losses(real, reconstructed) -> dict:
    """L1, SSIM and edge losses between a real batch and its cycle reconstruction."""
    return {
        "cycle": l1_loss(real, reconstructed),
        "ssim": ssim_loss(real, reconstructed),
        "edge": sobel_magnitude_l1(real, reconstructed),
    }


def cycle_gan_losses(weights, images: dict, scores: dict) -> dict:
    """All generator and discriminator losses of one CycleGAN step.

    Parameters
    ----------
    weights : cyclesem.config.cyclegan.CycleGanLossWeights
        Weights of the generator terms.
    images : dict
        ``real_blurry``, ``real_clear``, ``cycled_blurry``, ``cycled_clear``
        (``F(G(blurry))``, ``G(F(clear))``), ``same_clear`` (``G(clear)``) and
        ``same_blurry`` (``F(blurry)``).
    scores : dict
        Discriminator outputs: ``clear_of_fake`` and ``blurry_of_fake`` (the
        fresh fakes, for the generators), ``clear_of_real``,
        ``clear_of_pooled``, ``blurry_of_real``, ``blurry_of_pooled`` (for the
        discriminators).

    Returns
    -------
    dict
        ``generators`` (weighted sum for both generators together),
        ``disc_clear``, ``disc_blurry``, and the unweighted terms ``adversarial``,
        ``cycle``, ``identity``, ``ssim``, ``edge`` (each summed over both
        directions).
    """
    terms = {"adversarial": lsgan_generator_loss(scores["clear_of_fake"])
             + lsgan_generator_loss(scores["blurry_of_fake"])}
    for domain in ("blurry", "clear"):
        for name, value in reconstruction_losses(images[f"real_{domain}"],
                                                 images[f"cycled_{domain}"]).items():
            terms[name] = terms.get(name, 0.0) + value
    terms["identity"] = (l1_loss(images["same_clear"], images["real_clear"])
                         + l1_loss(images["same_blurry"], images["real_blurry"]))
    terms["generators"] = sum(getattr(weights, name) * terms[name]
                              for name in ("adversarial", "cycle", "identity", "ssim", "edge"))
    terms["disc_clear"] = lsgan_discriminator_loss(scores["clear_of_real"], scores["clear_of_pooled"])
    terms["disc_blurry"] = lsgan_discriminator_loss(scores["blurry_of_real"], scores["blurry_of_pooled"])
    return terms


# --- supervised restoration ---------------------------------------------------------------------

def sobel_gradient_l1(predicted, target):
    """Mean absolute difference of the Sobel gradients (y and x) of two batches (the restoration edge term)."""
    edges_predicted = ops.image.sobel_edges(_f32(predicted))
    edges_target = ops.image.sobel_edges(_f32(target))
    return ops.mean(ops.abs(edges_predicted - edges_target))


def spectrum_l1(predicted, target):
    """Mean absolute difference of the 2-D FFTs' real and imaginary parts.

    The FFT runs over height and width of each image and channel, unnormalised.
    """
    difference = ops.transpose(_f32(predicted) - _f32(target), (0, 3, 1, 2))
    real, imag = ops.fft2((difference, ops.zeros_like(difference)))
    return (ops.mean(ops.abs(real)) + ops.mean(ops.abs(imag))) / 2.0


def restoration_loss_terms(predicted, target, weights=None) -> dict:
    """The loss terms and their weighted sum.

    Parameters
    ----------
    predicted, target : tensor, shape (batch, height, width, channels)
    weights : cyclesem.config.supervised.RestorationLossWeights, optional
        MIDNet's weights when not given.

    Returns
    -------
    dict
        Scalars ``l1``, ``edge``, ``fft`` (unweighted) and ``total`` (weighted sum,
        with the squared error when ``weights.mse`` and ``1 - SSIM`` when ``weights.ssim``
        is above zero).
    """
    weights = weights or RestorationLossWeights()
    terms = {
        "l1": l1_loss(predicted, target),
        "edge": sobel_gradient_l1(predicted, target),
        "fft": spectrum_l1(predicted, target),
    }
    terms["total"] = weights.l1 * terms["l1"] + weights.edge * terms["edge"] + weights.fft * terms["fft"]
    if weights.mse > 0:
        terms["total"] = terms["total"] + weights.mse * squared_error(predicted, target)
    if weights.ssim > 0:
        terms["total"] = terms["total"] + weights.ssim * ssim_loss(predicted, target)
    return terms


# --- fitting a degradation to unpaired images ----------------------------------------------------

_SPECTRUM_BINS = 24


def _radial_bins(height: int, width: int, bins: int = _SPECTRUM_BINS) -> np.ndarray:
    """``(height * width, bins)`` averaging matrix: FFT frequencies in log-spaced radial bins, DC left out."""
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.fftfreq(width)[None, :]
    radius = np.sqrt(fy ** 2 + fx ** 2).ravel()
    edges = np.geomspace(1.0 / max(height, width), np.sqrt(0.5) + 1e-6, bins + 1)
    index = np.digitize(radius, edges) - 1
    matrix = np.zeros((height * width, bins), np.float32)
    inside = (index >= 0) & (index < bins)
    matrix[np.flatnonzero(inside), index[inside]] = 1.0
    counts = matrix.sum(axis=0)
    return matrix[:, counts > 0] / counts[counts > 0]


def log_radial_spectra(images):
    """Per-image log radial power spectra of ``(B, H, W, 1)`` images, each less its mean over the bins.

    The image mean is removed and a Hann window applied first; taking out each
    spectrum's mean log power leaves its shape, which a gain does not change:
    blur width and noise level are fitted apart from brightness and contrast.
    Returns ``(B, bins)``.
    """
    x = _f32(images)[..., 0]
    height, width = x.shape[1], x.shape[2]
    window = np.outer(np.hanning(height), np.hanning(width)).astype(np.float32)
    x = (x - ops.mean(x, axis=(1, 2), keepdims=True)) * window
    real, imag = ops.fft2((x, ops.zeros_like(x)))
    power = ops.reshape(ops.square(real) + ops.square(imag), (-1, height * width))
    radial = ops.matmul(power, ops.convert_to_tensor(_radial_bins(height, width)))
    logs = ops.log(radial + 1e-8 * ops.mean(radial, axis=1, keepdims=True) + 1e-30)  # a floor that scales
    return logs - ops.mean(logs, axis=1, keepdims=True)


def spectral_distance(fake, real):
    """Distance between the distributions of :func:`log_radial_spectra` of two batches (``real`` held fixed).

    Blur lowers the high-frequency power and noise sets its floor. The mean
    over the batch of each bin's log power fits the typical blur width and
    noise level (a mean of logs: averaging powers first would let the least
    blurred images dominate the high frequencies and bias the width low); the
    spread over the batch fits how much the width varies across images
    (real folders mix blur widths), on top of what the content varies.
    """
    fake_logs = log_radial_spectra(fake)
    real_logs = ops.stop_gradient(log_radial_spectra(real))
    mean_gap = ops.mean(ops.abs(ops.mean(fake_logs, axis=0) - ops.mean(real_logs, axis=0)))
    spread_gap = ops.mean(ops.abs(ops.std(fake_logs, axis=0) - ops.std(real_logs, axis=0)))
    return mean_gap + spread_gap


def intensity_distance(fake, real):
    """Mean absolute difference of the sorted grey levels of two batches of the same shape (``real`` fixed).

    The 1-D Wasserstein distance between their intensity histograms: it fits
    brightness, contrast and veil, which the mean-free spectrum cannot see.
    """
    fake_levels = ops.sort(ops.reshape(_f32(fake), (-1,)))
    real_levels = ops.sort(ops.reshape(_f32(real), (-1,)))
    return ops.mean(ops.abs(fake_levels - ops.stop_gradient(real_levels)))
