"""Widely randomised degradations for training networks that ship pretrained.

One draw is one :class:`WideDegradation`: a PSF (Gaussian, defocus disc or their
mixture, optionally with a Lorentzian tail), the intensity changes a refocused
or re-exposed frame brings (gain, offset, gamma, a veil), scan jitter, SEM noise
(shot + detector), dead pixels and spikes, the file's bit depth, and changes of the
scene itself, which reach both sides of a training pair (polarity, the secondary-electron
edge effect, brightness and contrast).

- :func:`draw_deblur`: beam blur (Gaussian probe, sigma up to 4 px) and defocus
  (disc, radius up to 24 px) with noise; brightness and contrast
  drawn for the scene, so on both sides of a pair (``sem-deblur``);
- :func:`draw_denoise`: no blur; noise, scan jitter, dead pixels (``sem-denoise``);
- :func:`in_focus`: the training target, a clean image seen through an in-focus probe;
- :func:`apply`: the degraded image of a clean one under a draw;
- :func:`lorentzian_psf`, :func:`mixed_psf`: the PSFs :mod:`synth.psf` lacks.

The ranges are deliberately wider than any one instrument's, so that a network
trained on them does not depend on guessing the blur, noise or contrast right.
Pure numpy: never imports TensorFlow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from synth.blur import blur
from synth.fog import apply_fog
from synth.noise import dead_pixels_and_spikes, quantise, scan_distortion, sem_noise
from cyclesem.restore.classical.psf import disk_psf, gaussian_psf

__all__ = ["WideDegradation", "lorentzian_psf", "mixed_psf", "draw_deblur", "draw_denoise", "edge_effect", "in_focus",
           "apply"]

_MID_GREY = 0.5  # the grey level at which a noise sigma is specified


@dataclass(frozen=True)
class WideDegradation:
    """One drawn degradation (see :func:`apply`).

    Attributes
    ----------
    psf : numpy.ndarray
        Odd-sized kernel summing to 1 (``[[1]]``: no blur).
    gain, offset, gamma : float
        Intensity change ``(gain * x + offset) ** gamma`` on the blurred image (clipped to [0, 1] first).
    veil : float
        Strength in [0, 1) of a uniform veil at the image's mean grey (``apply_fog``).
    jitter : float
        Per-row horizontal scan jitter (px, standard deviation).
    noise_sigma : float
        Total noise standard deviation at mid grey (0.5).
    shot_fraction : float
        Part of the noise variance at mid grey that is shot noise (the rest is detector noise).
    dead_fraction, spike_fraction : float
        Fractions of pixels set to 0 / 1.
    bits : int
        Bit depth the degraded image is quantised to (0: not quantised).
    in_focus_sigma : float
        Gaussian sigma (px) of the in-focus probe: the training target is the clean image
        seen through it (:func:`in_focus`), and the degradation blurs that target further.
    scene_invert : bool
        The scene's grey levels inverted (``1 - x``, before its gain): bright edges on a dark
        ground become dark on bright, as secondary and backscattered electrons may show one
        microstructure. An augmentation, made in :func:`in_focus`.
    scene_edges : float
        Weight in [0, 1) of the secondary-electron edge effect added to the scene: its
        gradient magnitude at scale :attr:`edge_scale` (normalised to its 99th percentile)
        mixed in, so that edges and thin ridges are bright, as in most SE images. Made in
        :func:`in_focus`, after the polarity and before the gain.
    edge_scale : float
        Gaussian sigma (px) at which the edge effect is taken.
    scene_gain, scene_offset, scene_gamma : float
        Intensity change ``(gain * x + offset) ** gamma`` of the scene itself, made in
        :func:`in_focus`: the target and the degraded image both carry it. An augmentation,
        not a degradation: a network cannot infer an intensity change made to its input only.
    """

    psf: np.ndarray
    gain: float = 1.0
    offset: float = 0.0
    gamma: float = 1.0
    veil: float = 0.0
    jitter: float = 0.0
    noise_sigma: float = 0.0
    shot_fraction: float = 0.5
    dead_fraction: float = 0.0
    spike_fraction: float = 0.0
    bits: int = 0
    in_focus_sigma: float = 0.0
    scene_invert: bool = False
    scene_edges: float = 0.0
    edge_scale: float = 1.5
    scene_gain: float = 1.0
    scene_offset: float = 0.0
    scene_gamma: float = 1.0


IN_FOCUS_SIGMA = (1.0, 3.0)
"""Range (px) of the in-focus probe of ``sem-deblur``'s targets. An in-focus SEM frame is not
infinitely sharp: on the defocus map (:mod:`cyclesem.restore.defocus`) the in-focus partners of
real defocus pairs read wider than the clean training sources, as a source does after a Gaussian
blur of a few px. Targets sharper than the instrument's focus teach a network to sharpen past it,
which costs on real defocus pairs (see ``experiments/README.md``)."""


def lorentzian_psf(width: float, radius: int) -> np.ndarray:
    """A 2-D Lorentzian (Cauchy) PSF ``(1 + r^2 / width^2) ** -1.5``, truncated at ``radius`` px.

    The long tails of scattered and backscattered electrons; normalised to sum 1,
    size ``2 * radius + 1``.
    """
    if width <= 0 or radius < 1:
        raise ValueError("width must be > 0 and radius >= 1")
    y, x = np.mgrid[-radius : radius + 1, -radius : radius + 1].astype(np.float64)
    kernel = (1.0 + (x * x + y * y) / width**2) ** -1.5
    return (kernel / kernel.sum()).astype(np.float32)


def mixed_psf(core: np.ndarray, tail: np.ndarray, tail_weight: float) -> np.ndarray:
    """``(1 - tail_weight) * core + tail_weight * tail``, both centred and padded to one size."""
    if not 0.0 <= tail_weight <= 1.0:
        raise ValueError("tail_weight must lie in [0, 1]")
    size = [max(a, b) for a, b in zip(core.shape, tail.shape)]
    out = np.zeros(size, np.float64)
    for kernel, weight in ((core, 1.0 - tail_weight), (tail, tail_weight)):
        top, left = (size[0] - kernel.shape[0]) // 2, (size[1] - kernel.shape[1]) // 2
        out[top : top + kernel.shape[0], left : left + kernel.shape[1]] += weight * kernel
    return (out / out.sum()).astype(np.float32)


def _draw_psf(rng: np.random.Generator, max_probe_sigma: float, max_radius: float) -> np.ndarray:
    """No blur (10 %), an elliptical Gaussian probe (35 %) or a soft defocus disc (55 %), half with a tail.

    Wide blur is drawn as a disc only: a defocused beam is a disc (its transfer function
    crosses zero and turns negative), a Gaussian models the focused probe. With wide Gaussians
    (an earlier recipe) the networks treated the real defocus's side lobe as a Gaussian's
    positive band (see experiments/README.md).
    """
    choice = rng.random()
    if choice < 0.1:
        return np.ones((1, 1), np.float32)
    if choice < 0.45:
        sigma = rng.uniform(0.5, max_probe_sigma)
        core = gaussian_psf(sigma, sigma * rng.uniform(0.75, 1.0), rng.uniform(0, 180))
    else:
        radius = rng.uniform(1.0, max_radius)
        core = disk_psf(radius, radius_y=radius * rng.uniform(0.8, 1.0), angle=rng.uniform(0, 180),
                        softness=rng.uniform(0.0, 0.25 * radius))
    if rng.random() < 0.5:
        width = rng.uniform(2.0, 12.0)
        core = mixed_psf(core, lorentzian_psf(width, min(48, math.ceil(4 * width))), rng.uniform(0.05, 0.4))
    return core


def _draw_noise(rng: np.random.Generator, low: float, high: float) -> dict:
    return {"noise_sigma": float(math.exp(rng.uniform(math.log(low), math.log(high)))),
            "shot_fraction": float(rng.uniform(0.2, 1.0)),
            "bits": int(rng.choice([8, 8, 16]))}


def draw_deblur(rng: np.random.Generator) -> WideDegradation:
    """A ``sem-deblur`` training degradation: probe to sigma 4 / disc radius 24 px, noise 0.004-0.05.

    The target is the clean crop through an in-focus probe of sigma :data:`IN_FOCUS_SIGMA`.
    Polarity (inverted in half the draws), the SE edge effect (weight 0.2-0.7 in half the
    draws, scale 1-3 px), brightness and contrast (gain 0.8-1.2, offset +-0.08, gamma
    e^+-0.2) change the scene, so both sides of the pair: the degraded side alone gets no
    intensity change and no veil. Drawn on one side only (an earlier recipe), they taught
    networks to change the contrast of every real defocused image, while the real pairs' own
    gain and offset are small (see experiments/README.md).
    """
    return WideDegradation(
        in_focus_sigma=float(rng.uniform(*IN_FOCUS_SIGMA)),
        psf=_draw_psf(rng, 4.0, 24.0),
        scene_invert=bool(rng.random() < 0.5),
        scene_edges=float(rng.uniform(0.2, 0.7)) if rng.random() < 0.5 else 0.0,
        edge_scale=float(rng.uniform(1.0, 3.0)),
        scene_gain=float(rng.uniform(0.8, 1.2)), scene_offset=float(rng.uniform(-0.08, 0.08)),
        scene_gamma=float(math.exp(rng.uniform(-0.2, 0.2))),
        jitter=float(rng.uniform(0.0, 0.6)) if rng.random() < 0.5 else 0.0,
        dead_fraction=float(rng.uniform(0, 1e-4)) if rng.random() < 0.2 else 0.0,
        **_draw_noise(rng, 0.004, 0.05))


def draw_denoise(rng: np.random.Generator) -> WideDegradation:
    """A ``sem-denoise`` training degradation: no blur, noise 0.01-0.15, jitter, dead pixels and spikes."""
    return WideDegradation(
        psf=np.ones((1, 1), np.float32),
        gain=float(rng.uniform(0.9, 1.1)), offset=float(rng.uniform(-0.03, 0.03)),
        jitter=float(rng.uniform(0.0, 1.0)) if rng.random() < 0.5 else 0.0,
        dead_fraction=float(rng.uniform(0, 1e-3)) if rng.random() < 0.5 else 0.0,
        spike_fraction=float(rng.uniform(0, 5e-4)) if rng.random() < 0.5 else 0.0,
        **_draw_noise(rng, 0.01, 0.15))


def _intensity(image: np.ndarray, gain: float, offset: float, gamma: float) -> np.ndarray:
    """``clip(gain * image + offset, 0, 1) ** gamma``: the intensity change of the scene or of a degraded frame."""
    return np.clip(gain * image + offset, 0.0, 1.0) ** np.float32(gamma)


def edge_effect(image: np.ndarray, scale: float) -> np.ndarray:
    """Gradient magnitude of ``image`` smoothed at ``scale`` px, divided by its 99th percentile, clipped to [0, 1].

    Secondary-electron yield rises where the beam meets a slope or an edge, so SE images
    show edges and thin ridges bright whatever the material's grey level.
    """
    smooth = blur(np.asarray(image, np.float32), gaussian_psf(scale))
    rows, cols = np.gradient(smooth)
    magnitude = np.hypot(rows, cols)
    top = float(np.percentile(magnitude, 99.0))
    return np.clip(magnitude / max(top, 1e-6), 0.0, 1.0).astype(np.float32)


def in_focus(clean: np.ndarray, params: WideDegradation) -> np.ndarray:
    """The training target: ``clean`` with the scene's changes (polarity, edge effect, intensity), through the probe.

    A copy of ``clean`` when the draw has neither. Apply to a crop with a margin, as
    :func:`apply`; pass the result to :func:`apply`.
    """
    scene = np.asarray(clean, np.float32)
    if params.scene_invert:
        scene = 1.0 - scene
    if params.scene_edges > 0:
        scene = (1.0 - params.scene_edges) * scene + params.scene_edges * edge_effect(scene, params.edge_scale)
    if (params.scene_gain, params.scene_offset, params.scene_gamma) != (1.0, 0.0, 1.0):
        scene = _intensity(scene, params.scene_gain, params.scene_offset, params.scene_gamma)
    if params.in_focus_sigma <= 0:
        return scene.astype(np.float32, copy=True)
    return blur(scene, gaussian_psf(params.in_focus_sigma)).astype(np.float32)


def apply(clean: np.ndarray, params: WideDegradation, rng: np.random.Generator) -> np.ndarray:
    """The degraded image of ``clean`` (float32 in [0, 1], same shape).

    Order: blur, intensity change, veil, scan jitter, noise, dead pixels and
    spikes, quantisation. Blurring mirrors at the borders: degrade a crop with a
    margin of the PSF's half size and cut it off afterwards for exact borders.
    """
    image = blur(np.asarray(clean, np.float32), params.psf)
    image = _intensity(image, params.gain, params.offset, params.gamma)
    if params.veil > 0:
        image = apply_fog(image, 1.0 - params.veil, float(image.mean()))
    if params.jitter > 0:
        image = scan_distortion(image, rng, jitter=params.jitter)
    if params.noise_sigma > 0:
        shot_var = params.shot_fraction * params.noise_sigma**2
        dose = _MID_GREY / shot_var if shot_var > 0 else 0.0
        detector = math.sqrt(max(params.noise_sigma**2 - shot_var, 0.0))
        image = sem_noise(image, dose, detector, rng)
    image = dead_pixels_and_spikes(image, params.dead_fraction, params.spike_fraction, rng)
    if params.bits:
        return quantise(image, params.bits)
    return np.clip(image, 0.0, 1.0).astype(np.float32)
