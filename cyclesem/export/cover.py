"""The cover image of a package: a real crop before and after enhancement.

Both halves are shown with the display range of the input (its 0.5 and 99.5
percentiles), so the difference is visible as it is; the image is 2:1 as
bioimage.io asks, and labelled. numpy and OpenCV only.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["cover_image", "encode_png"]

_SIDE = 256


def cover_image(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Side-by-side ``before | after`` as 8-bit grey, 2:1.

    Parameters
    ----------
    before, after : numpy.ndarray
        2-D images of the same shape (any units; ``after`` in ``before``'s).

    Returns
    -------
    numpy.ndarray
        uint8 ``(256, 512)`` image.
    """
    before, after = np.asarray(before, np.float32), np.asarray(after, np.float32)
    if before.shape != after.shape or before.ndim != 2:
        raise ValueError(f"before and after must be 2-D of one shape, got {before.shape} and {after.shape}")
    low, high = np.percentile(before, [0.5, 99.5])
    scale = 255.0 / max(float(high - low), 1e-12)
    halves = [_square(np.clip((image - low) * scale, 0, 255).astype(np.uint8)) for image in (before, after)]
    for half, label in zip(halves, ("before", "after")):
        _label(half, label)
    cover = np.concatenate(halves, axis=1)
    cover[:, _SIDE - 1 : _SIDE + 1] = 255
    return cover


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of an 8-bit image."""
    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("cannot encode the cover as PNG")
    return data.tobytes()


def _square(image: np.ndarray) -> np.ndarray:
    """The centred square of ``image`` resized to the cover's side."""
    side = min(image.shape)
    top, left = (image.shape[0] - side) // 2, (image.shape[1] - side) // 2
    square = image[top : top + side, left : left + side]
    interpolation = cv2.INTER_AREA if side > _SIDE else cv2.INTER_NEAREST
    return cv2.resize(square, (_SIDE, _SIDE), interpolation=interpolation)


def _label(half: np.ndarray, text: str) -> None:
    """Write ``text`` in the top-left corner, white on a black box."""
    (width, height), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.6, 1)
    half[: height + 12, : width + 12] = 0
    cv2.putText(half, text, (6, height + 6), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 255, 1, cv2.LINE_AA)
