"""Training and validation crops from normalised images (pure numpy).

:class:`CropSampler` draws random square crops with flips and 90-degree
rotations from groups of aligned images (one image unpaired, blurry and sharp
paired); :func:`centre_crops` and :func:`grid_crops` give fixed crops for
previews and validation.
"""

from __future__ import annotations

import numpy as np

from cyclesem.errors import CyclesemError

__all__ = ["CropSampler", "centre_crops", "grid_crops"]


def _pad_to(image: np.ndarray, size: int) -> np.ndarray:
    """Reflect-pad ``image`` at the bottom/right so both sides are at least ``size``."""
    pad_rows, pad_cols = max(0, size - image.shape[0]), max(0, size - image.shape[1])
    if not pad_rows and not pad_cols:
        return image
    mode = "reflect" if min(image.shape) > 1 else "edge"
    return np.pad(image, ((0, pad_rows), (0, pad_cols)), mode=mode)


class CropSampler:
    """Random square crops with flips and 90-degree rotations from groups of aligned images.

    Parameters
    ----------
    groups : list of tuple of numpy.ndarray
        Each group holds images of one shape that get the same crop and
        augmentation: ``(image,)`` for unpaired data, ``(blurry, sharp)`` for pairs.
    crop : int
        Side of the square crops.
    flips, rotations : bool
        Random horizontal/vertical flips; random multiples of 90 degrees.
    """

    def __init__(self, groups, crop: int, *, flips: bool = True, rotations: bool = True):
        self.groups = [tuple(_pad_to(np.asarray(a, np.float32), crop) for a in g) for g in groups]
        if not self.groups:
            raise CyclesemError("no training images")
        for group in self.groups:
            if len({a.shape for a in group}) != 1:
                raise CyclesemError(f"aligned images differ in shape: {[a.shape for a in group]}")
        areas = np.array([g[0].size for g in self.groups], np.float64)
        self.weights = areas / areas.sum()
        self.crop, self.flips, self.rotations = int(crop), flips, rotations

    def sample(self, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        """One crop of each image of a randomly chosen group, ``(crop, crop)`` float32."""
        group = self.groups[rng.choice(len(self.groups), p=self.weights)]
        top = int(rng.integers(0, group[0].shape[0] - self.crop + 1))
        left = int(rng.integers(0, group[0].shape[1] - self.crop + 1))
        flip_rows, flip_cols = rng.integers(0, 2, size=2) if self.flips else (0, 0)
        turns = int(rng.integers(0, 4)) if self.rotations else 0
        crops = []
        for image in group:
            patch = image[top:top + self.crop, left:left + self.crop]
            patch = patch[::-1] if flip_rows else patch
            patch = patch[:, ::-1] if flip_cols else patch
            crops.append(np.ascontiguousarray(np.rot90(patch, turns), np.float32))
        return tuple(crops)


def centre_crops(images: list[np.ndarray], size: int, count: int) -> np.ndarray:
    """Centre crops of the first ``count`` images, ``(n, size, size, 1)`` float32 (for previews)."""
    crops = []
    for image in images[:count]:
        image = _pad_to(image, size)
        top, left = (image.shape[0] - size) // 2, (image.shape[1] - size) // 2
        crops.append(image[top:top + size, left:left + size])
    return np.stack(crops)[..., np.newaxis].astype(np.float32)


def grid_crops(images: list[np.ndarray], size: int, limit: int) -> np.ndarray:
    """Non-overlapping ``size`` crops on a grid over each image, at most ``limit`` spread evenly.

    Images smaller than ``size`` give one reflect-padded crop. Returns
    ``(n, size, size, 1)`` float32, the same crops for the same input.
    """
    crops = []
    for image in images:
        rows, cols = max(1, image.shape[0] // size), max(1, image.shape[1] // size)
        for row in range(rows):
            for col in range(cols):
                patch = image[row * size:(row + 1) * size, col * size:(col + 1) * size]
                crops.append(centre_crops([patch], size, 1)[0])
    if len(crops) > limit:
        crops = [crops[i] for i in np.linspace(0, len(crops) - 1, limit).round().astype(int)]
    return np.stack(crops).astype(np.float32)
