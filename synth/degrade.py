"""The degradation chain: one drawn set of parameters applied to a clear image.

Order of the chain, as an SEM forms an image:

1. blur by the beam's PSF (:mod:`synth.blur`, one FFT pair), then by a blur
   that varies across the image if any (:mod:`synth.varying`);
2. fog and charging glow (:mod:`synth.fog`, coarse random fields);
3. scan jitter and drift (:func:`synth.noise.scan_distortion`, one remap);
4. shot and detector noise (:func:`synth.noise.sem_noise`);
5. dead pixels and spikes, then saturation to [0, 1] and quantisation.

A stage whose parameters are neutral (no blur, ``t = 1``, zero noise) is skipped
and draws nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from synth import fog, noise
from synth.blur import blur
from cyclesem.restore.classical.psf import disk_psf, gaussian_psf
from synth.varying import blur_map, varying_blur

__all__ = ["BLUR_KINDS", "Degradation", "degrade"]

BLUR_KINDS = ("none", "gaussian", "defocus", "astigmatism")


@dataclass(frozen=True)
class Degradation:
    """Concrete values of every degradation parameter (see :mod:`synth.recipes`).

    Lengths are in pixels, angles in degrees, brightness in units of full scale.
    The defaults leave an image unchanged except for quantisation to 16 bits.
    """

    blur_kind: str = "none"
    sigma_x: float = 0.0
    sigma_y: float = 0.0
    radius_x: float = 0.0
    radius_y: float = 0.0
    softness: float = 0.0
    angle: float = 0.0
    transmission: float = 1.0
    spread: float = 0.0
    veil: float = 0.5
    fog_scale: float = 0.3
    charging: float = 0.0
    dose: float = 0.0
    detector: float = 0.0
    jitter: float = 0.0
    drift_x: float = 0.0
    drift_y: float = 0.0
    dead: float = 0.0
    spikes: float = 0.0
    bits: int = 16
    varying_kind: str = "none"
    varying_sharp: float = 0.0
    varying_blurred: float = 0.0
    varying_angle: float = 0.0
    varying_focus: float = 0.0

    def blur_map(self, shape: tuple[int, int]) -> np.ndarray:
        """The varying part's local Gaussian width per pixel (px; :func:`synth.varying.blur_map`)."""
        return blur_map(
            self.varying_kind, shape, sharp=self.varying_sharp, blurred=self.varying_blurred,
            angle=self.varying_angle, focus=self.varying_focus,
        )

    def psf(self) -> np.ndarray:
        """The blur kernel (float32, sums to 1); a one-pixel delta for ``none``."""
        if self.blur_kind == "gaussian":
            return gaussian_psf(self.sigma_x, self.sigma_y, self.angle)
        if self.blur_kind in ("defocus", "astigmatism"):
            return disk_psf(self.radius_x, radius_y=self.radius_y, angle=self.angle, softness=self.softness)
        if self.blur_kind == "none":
            return np.ones((1, 1), np.float32)
        raise ValueError(f"unknown blur kind {self.blur_kind!r}")

    def to_dict(self) -> dict:
        """The parameters as a JSON-ready dict."""
        return dataclasses.asdict(self)


def degrade(image: np.ndarray, params: Degradation, rng: np.random.Generator, *, workers: int = 1) -> np.ndarray:
    """Apply the degradation chain ``params`` to a clear image.

    Parameters
    ----------
    image : numpy.ndarray
        Clear 2-D image, nominally in [0, 1].
    params : Degradation
        Drawn parameters (:func:`synth.recipes.draw`).
    rng : numpy.random.Generator
        Source of the random fields and noise.
    workers : int
        Threads for the FFTs; the result does not depend on it.

    Returns
    -------
    numpy.ndarray
        float32 image in [0, 1], quantised to ``params.bits``.
    """
    if params.blur_kind != "none":  # out: the chain's own buffer, changed in place where it can be
        out = blur(image, params.psf(), workers=workers)
    else:
        out = np.array(image, np.float32)
    if params.varying_kind != "none":
        out = varying_blur(out, params.blur_map(out.shape))
    _fog(out, params, rng)
    if params.jitter > 0 or params.drift_x != 0 or params.drift_y != 0:
        out = noise.scan_distortion(out, rng, jitter=params.jitter, drift_x=params.drift_x, drift_y=params.drift_y)
    if params.dose > 0 or params.detector > 0:
        out = noise.sem_noise(out, params.dose, params.detector, rng)
    if params.dead > 0 or params.spikes > 0:
        out = noise.dead_pixels_and_spikes(out, params.dead, params.spikes, rng)
    return noise.quantise(out, params.bits, out=out)


def _fog(image: np.ndarray, params: Degradation, rng: np.random.Generator) -> None:
    """Fog and charging glow, in place."""
    if params.transmission < 1 or params.spread > 0:
        t = fog.transmission_map(image.shape, params.transmission, params.spread, params.fog_scale, rng)
        fog.apply_fog(image, t, params.veil, out=image)
    if params.charging > 0:
        glow = fog.charging_glow(image.shape, params.fog_scale, rng)
        glow *= np.float32(params.charging)
        image += glow
