"""CycleGAN losses, written with :mod:`keras.ops` (portable to JAX).

Images are ``(batch, height, width, 1)``; everything is computed in float32
(safe under mixed precision). Discriminator scores are the PatchGAN maps.

- LSGAN (least squares GAN, Mao et al. 2017): the discriminator pushes real
  scores to 1 and fake ones to 0, the generator pushes fake scores to 1.
- L1: mean absolute difference (cycle consistency and identity).
- SSIM loss: ``1 - mean SSIM`` (Gaussian window 11, sigma 1.5; ``max_val`` is
  the data range, 1 for normalised images). Zero for identical images.
- Edge loss: mean absolute difference of Sobel gradient magnitudes
  ``sqrt(gx**2 + gy**2)``. Zero for identical images, positive when one of
  them is blurred.

:func:`cycle_gan_losses` combines them with :class:`~cyclesem.train_config.CycleGanLossWeights`.
"""

from __future__ import annotations

import numpy as np
from keras import ops

__all__ = [
    "cycle_gan_losses",
    "edge_loss",
    "l1_loss",
    "lsgan_discriminator_loss",
    "lsgan_generator_loss",
    "reconstruction_losses",
    "sobel_magnitude",
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


def ssim_loss(a, b, max_val: float = 1.0):
    """``1 - mean SSIM`` of two image batches (each side at least 11 pixels)."""
    return 1.0 - ops.mean(ops.image.ssim(_f32(a), _f32(b), max_val=max_val))


def sobel_magnitude(images):
    """Sobel gradient magnitude of each channel, same shape as ``images``."""
    edges = ops.image.sobel_edges(_f32(images))  # (..., channels, [dy, dx])
    return ops.sqrt(ops.sum(ops.square(edges), axis=-1) + _MAGNITUDE_EPSILON)


def edge_loss(a, b):
    """Mean absolute difference of Sobel gradient magnitudes."""
    return ops.mean(ops.abs(sobel_magnitude(a) - sobel_magnitude(b)))


def reconstruction_losses(real, reconstructed) -> dict:
    """L1, SSIM and edge losses between a real batch and its cycle reconstruction."""
    return {
        "cycle": l1_loss(real, reconstructed),
        "ssim": ssim_loss(real, reconstructed),
        "edge": edge_loss(real, reconstructed),
    }


def cycle_gan_losses(weights, images: dict, scores: dict) -> dict:
    """All generator and discriminator losses of one CycleGAN step.

    Parameters
    ----------
    weights : cyclesem.train_config.CycleGanLossWeights
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


def log_radial_spectrum(images):
    """Log of the batch-mean radial power spectrum of ``(B, H, W, 1)`` images (Hann window, mean removed)."""
    x = _f32(images)[..., 0]
    height, width = x.shape[1], x.shape[2]
    window = np.outer(np.hanning(height), np.hanning(width)).astype(np.float32)
    x = (x - ops.mean(x, axis=(1, 2), keepdims=True)) * window
    real, imag = ops.fft2((x, ops.zeros_like(x)))
    power = ops.reshape(ops.square(real) + ops.square(imag), (-1, height * width))
    radial = ops.matmul(power, ops.convert_to_tensor(_radial_bins(height, width)))
    return ops.log(ops.mean(radial, axis=0) + 1e-8)


def spectral_distance(fake, real):
    """Mean absolute difference of :func:`log_radial_spectrum` of two batches (``real`` held fixed).

    Blur lowers the high-frequency power and noise sets its floor, so this
    statistic fits a degradation's width and noise level quickly and stably
    from unpaired images of similar content.
    """
    return ops.mean(ops.abs(log_radial_spectrum(fake) - ops.stop_gradient(log_radial_spectrum(real))))


def intensity_distance(fake, real):
    """Mean absolute difference of the sorted grey levels of two batches of the same shape (``real`` fixed).

    The 1-D Wasserstein distance between their intensity histograms: it fits
    brightness, contrast and veil, which the mean-free spectrum cannot see.
    """
    fake_levels = ops.sort(ops.reshape(_f32(fake), (-1,)))
    real_levels = ops.sort(ops.reshape(_f32(real), (-1,)))
    return ops.mean(ops.abs(fake_levels - ops.stop_gradient(real_levels)))
