"""Restore only where the image is out of focus.

:func:`restore_where_blurry` maps the local blur
(:func:`cyclesem.restore.defocus.defocus_map`), turns it into a smooth weight
(0 up to :data:`BLEND_LOW` px, 1 from :data:`BLEND_HIGH` px, a smoothstep
between), and returns ``input + weight * (restored - input)``:

- where the weight is 0 the output is the input, bit for bit;
- an image whose verdict is ``in focus`` (:func:`cyclesem.restore.defocus.verdict`),
  or whose weight is 0 everywhere, is returned unchanged, and the restorer is
  not even called;
- any restorer works: a callable ``image -> restored image`` of the same shape
  (a classical method, a run folder's ``Run.enhance``, a pretrained model).

:class:`SelectiveRestorer` wraps any :class:`~cyclesem.restore.enhancer.Enhancer`
(a :class:`cyclesem.restore.runs.Run`, an ONNX network) into an Enhancer that
acts only where blurred, so :func:`cyclesem.restore.enhance.enhance_file` uses it unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from cyclesem.restore.defocus import SHARP_WIDTH, DefocusMap, defocus_map, verdict

__all__ = ["BLEND_HIGH", "BLEND_LOW", "Selective", "SelectiveRestorer", "blend_weight", "restore_where_blurry"]

BLEND_LOW = SHARP_WIDTH
"""px: no restoration where the map is at most this wide."""
BLEND_HIGH = SHARP_WIDTH + 0.5
"""px: the full restoration from this width on."""


@dataclass(frozen=True)
class Selective:
    """What :func:`restore_where_blurry` did: the output, its weight and the map."""

    image: np.ndarray
    weight: np.ndarray
    defocus: DefocusMap
    restored: bool


def blend_weight(widths: np.ndarray, low: float = BLEND_LOW, high: float = BLEND_HIGH) -> np.ndarray:
    """Smoothstep weight of a width map: exactly 0 at ``<= low``, 1 at ``>= high``.

    NaN widths (no detail anywhere) give 0: nothing known to be blurred is touched.
    """
    if not high > low:
        raise ValueError(f"high ({high}) must exceed low ({low})")
    t = np.clip((np.nan_to_num(np.asarray(widths, np.float64), nan=low) - low) / (high - low), 0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).astype(np.float32)


def restore_where_blurry(
    image,
    restore: Callable[[np.ndarray], np.ndarray],
    *,
    defocus: DefocusMap | None = None,
    low: float = BLEND_LOW,
    high: float = BLEND_HIGH,
) -> Selective:
    """Restore ``image`` with ``restore`` and keep the result only where it is blurred.

    Parameters
    ----------
    image : array_like
        2-D image.
    restore : callable
        ``restore(image) -> restored``, same shape.
    defocus : DefocusMap, optional
        A map of ``image`` already computed; made here when omitted.
    low, high : float
        Widths (px) where the weight leaves 0 and reaches 1 (:func:`blend_weight`).

    Returns
    -------
    Selective
        ``image``: float32, equal to the input wherever ``weight == 0`` (everywhere
        for an image judged in focus).
    """
    image = np.asarray(image, np.float32)
    defocus = defocus_map(image) if defocus is None else defocus
    weight = blend_weight(defocus.full(), low, high)
    if verdict(defocus) == "in focus":
        weight = np.zeros_like(weight)
    if not weight.any():
        return Selective(image.copy(), weight, defocus, restored=False)
    restored = np.asarray(restore(image), np.float32)
    if restored.shape != image.shape:
        raise ValueError(f"the restorer changed the shape from {image.shape} to {restored.shape}")
    blended = image + weight * (restored - image)
    return Selective(np.where(weight > 0, blended, image).astype(np.float32), weight, defocus, restored=True)


class SelectiveRestorer:
    """An :class:`~cyclesem.restore.enhancer.Enhancer` acting only where the image is blurred.

    Parameters
    ----------
    inner : Enhancer
        What restores (a :class:`cyclesem.restore.runs.Run`, an ONNX network, a function).
    """

    def __init__(self, inner):
        self.inner = inner
        self.last: Selective | None = None

    def enhance(self, image: np.ndarray, *, tile=None, progress=None) -> np.ndarray:
        """The inner restorer's output blended in where ``image`` is out of focus."""

        def restore(values: np.ndarray) -> np.ndarray:
            return self.inner.enhance(values, tile=tile, progress=progress)

        self.last = restore_where_blurry(image, restore)
        return self.last.image

    def describe(self) -> str:
        """The inner restorer's description, and the blending rule."""
        return f"{self.inner.describe()}, only where blurred (weight 0 to 1 over {BLEND_LOW:g} to {BLEND_HIGH:g} px of blur)"
