"""Phantoms: clean, SEM-like images made procedurally, of any size, from a seed.

Kinds (:data:`PHANTOM_KINDS`):

- ``particles``: ellipsoidal particles of log-normal sizes on a rough
  substrate, overlapping;
- ``porous``: an etched porous network (elongated pits between bright walls,
  like etched steel);
- ``grains``: polycrystalline grains with their own tones and grooved boundaries;
- ``fibres``: curved wires or fibres lying across each other.

Each kind is a height and material map (:mod:`synth.surfaces`) rendered as a
secondary-electron image: the yield grows with the local tilt (so edges glow,
the SE edge effect), convex rims brighten and crevices darken, a side detector
shades slopes facing it, and a fine texture varies the yield. The result spans a random part of [0, 1], as real
micrographs do. They are the project's default data: the demo, tests and first
training runs use them when a user has no images yet.

Examples
--------
>>> image = make_phantom("grains", 128, seed=3)
>>> image.shape, image.dtype
((128, 128), dtype('float32'))
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from synth import surfaces

__all__ = ["PHANTOM_KINDS", "make_phantom", "random_phantom", "phantom_kind", "render_se"]

_SURFACES = {
    "particles": surfaces.particles,
    "porous": surfaces.porous_network,
    "grains": surfaces.grains,
    "fibres": surfaces.fibres,
}
PHANTOM_KINDS = tuple(_SURFACES)


def make_phantom(kind: str, size: int | tuple[int, int], seed: int) -> np.ndarray:
    """A phantom of ``kind``, deterministic from ``seed``.

    Parameters
    ----------
    kind : str
        One of :data:`PHANTOM_KINDS`.
    size : int or (int, int)
        Side in pixels, or (rows, columns); at least 8.
    seed : int
        Fixes every random choice.

    Returns
    -------
    numpy.ndarray
        float32 image in [0, 1].
    """
    if kind not in _SURFACES:
        raise ValueError(f"unknown phantom kind {kind!r}; known: {', '.join(PHANTOM_KINDS)}")
    shape = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    if min(shape) < 8:
        raise ValueError(f"phantom sides must be at least 8 px, got {size}")
    rng = np.random.default_rng([seed, PHANTOM_KINDS.index(kind)])
    height, material = _SURFACES[kind](shape, rng)
    return render_se(height, material, rng)


def phantom_kind(seed: int) -> str:
    """The kind :func:`random_phantom` draws for ``seed``."""
    return PHANTOM_KINDS[int(np.random.default_rng(seed).integers(len(PHANTOM_KINDS)))]


def random_phantom(size: int | tuple[int, int], seed: int) -> np.ndarray:
    """A phantom of a kind drawn from ``seed`` (see :func:`phantom_kind`)."""
    return make_phantom(phantom_kind(seed), size, seed)


def render_se(height: np.ndarray, material: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Render a surface as a secondary-electron image in [0, 1] (float32).

    Parameters
    ----------
    height : numpy.ndarray
        Surface height in pixels.
    material : numpy.ndarray
        Secondary-electron yield of the material at each pixel.
    rng : numpy.random.Generator
        Draws the detector's direction, the strengths of the contrasts and the
        grey range the image spans.
    """
    grad_y, grad_x = np.gradient(height.astype(np.float32))
    secant = np.sqrt(1.0 + grad_x * grad_x + grad_y * grad_y)
    np.minimum(secant, 5.0, out=secant)  # yield ~ 1 / cos(tilt), bounded at grazing tilt
    image = material * (1.0 + rng.uniform(0.3, 0.6) * (secant - 1.0))
    direction = rng.uniform(0.0, 2.0 * math.pi)
    facing = (grad_x * math.cos(direction) + grad_y * math.sin(direction)) / secant
    image += rng.uniform(0.05, 0.2) * facing
    convex = height - ndimage.gaussian_filter(height, 2.0)  # > 0 on rims, < 0 in crevices
    image += rng.uniform(0.02, 0.08) * np.clip(convex, -4.0, 4.0)
    texture = surfaces.fractal_noise(image.shape, rng, scales=(2, 4, 8))
    image += rng.uniform(0.06, 0.1) * float(image.mean()) * texture
    return _to_grey_range(image, rng)


def _to_grey_range(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Map the 0.5 and 99.5 percentiles to a random dark and bright grey."""
    low, high = np.percentile(image, [0.5, 99.5])
    dark, bright = rng.uniform(0.03, 0.2), rng.uniform(0.7, 0.95)
    scaled = (image - low) * ((bright - dark) / max(high - low, 1e-12)) + dark
    return np.clip(scaled, 0.0, 1.0).astype(np.float32)
