"""Training data: image folders to normalised arrays to ``tf.data`` batches.

Images are read with :func:`cyclesem.io.read_image` (info bars cropped off) and
normalised per image by :class:`~cyclesem.normalize.PercentileNormalizer`.
Training crops are a **pure function of (seed, step)**: example ``k`` of step
``s`` is drawn from ``numpy.random.default_rng([seed, s * batch + k])``, which
picks an image (with probability proportional to its area, so every pixel is
equally likely), a crop position (images smaller than the crop are
reflect-padded), and one of the eight flips / 90-degree rotations. Resuming a
run at step ``s`` therefore replays exactly the data a straight run would see.

Crops are made in a parallel ``tf.data`` map and prefetched, so the CPU
prepares the next batches while the network trains.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from cyclesem.errors import CyclesemError
from cyclesem.normalize import PercentileNormalizer

__all__ = [
    "CropSampler",
    "LoadedImages",
    "centre_crops",
    "load_folder",
    "degradation_draws",
    "paired_batches",
    "physical_unpaired_batches",
    "unpaired_batches",
]


@dataclass
class LoadedImages:
    """Normalised 2-D float32 images of one folder and the files that failed."""

    images: list[np.ndarray] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)


def load_folder(folder: str | os.PathLike, normalizer: PercentileNormalizer) -> LoadedImages:
    """Read and normalise every image in ``folder`` (bad files are listed, not fatal).

    Parameters
    ----------
    folder : str or os.PathLike
        A folder of images any format :mod:`cyclesem.io` reads.
    normalizer : PercentileNormalizer
        Applied to each image's content (the part above an info bar).

    Returns
    -------
    LoadedImages

    Raises
    ------
    CyclesemError
        If the folder is missing, holds no image files, or none of them could be read.
    """
    from cyclesem import io

    paths = [os.fspath(p) for p in io.list_images(folder)]
    loaded = LoadedImages()
    for path in paths:
        try:
            content = io.read_image(path).content
            loaded.images.append(normalizer.before(content)[0])
            loaded.paths.append(path)
        except CyclesemError as exc:
            loaded.failures.append((path, exc.problem))
        except ValueError as exc:  # non-finite values, from the normaliser
            loaded.failures.append((path, str(exc)))
    if not loaded.images:
        raise CyclesemError(f"none of the {len(paths)} image(s) could be read", folder)
    return loaded


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


def _batches(make_example, count: int, crop: int, *, batch: int, start_step: int, steps: int,
             extra_shapes: tuple = ()):
    """A dataset of batches of ``count`` crops per example, for steps ``start_step..steps-1``.

    ``make_example(index)`` returns ``count`` arrays ``(crop, crop)``, then one
    float32 array of each shape in ``extra_shapes``.
    """
    from cyclesem.backend import require_tensorflow

    tf = require_tensorflow()

    def numpy_example(index):
        return make_example(int(index))

    def tf_example(index):
        arrays = tf.numpy_function(numpy_example, [index], [tf.float32] * (count + len(extra_shapes)),
                                   stateful=False)
        crops = [tf.ensure_shape(c, (crop, crop))[..., tf.newaxis] for c in arrays[:count]]
        extras = [tf.ensure_shape(a, shape) for a, shape in zip(arrays[count:], extra_shapes)]
        return (*crops, *extras, index // batch)

    dataset = tf.data.Dataset.range(start_step * batch, max(steps, start_step) * batch)
    dataset = dataset.map(tf_example, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return dataset.batch(batch, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def degradation_draws(rng: np.random.Generator, crop: int, parameters: int, veil_grid: int):
    """Standard normal draws of one example for the physical degradation: parameters, noise, veil grid."""
    return (rng.standard_normal(parameters).astype(np.float32),
            rng.standard_normal((crop, crop)).astype(np.float32),
            rng.standard_normal((veil_grid, veil_grid)).astype(np.float32))


def physical_unpaired_batches(blurry: CropSampler, clear: CropSampler, *, seed: int, batch: int,
                              start_step: int, steps: int, parameters: int, veil_grid: int):
    """:func:`unpaired_batches` plus the degradation's random draws (pure in (seed, step)).

    Elements are dicts with ``blurry``, ``clear``, ``noise`` ``(batch, crop, crop, 1)``,
    ``draws`` ``(batch, parameters)``, ``veil_field`` ``(batch, veil_grid, veil_grid)``
    and ``step``.
    """
    crop = blurry.crop

    def make_example(index):
        rng = np.random.default_rng([seed, index])
        images = (blurry.sample(rng)[0], clear.sample(rng)[0])
        draws, noise, veil = degradation_draws(rng, crop, parameters, veil_grid)
        return (*images, noise, draws, veil)

    dataset = _batches(make_example, 3, crop, batch=batch, start_step=start_step, steps=steps,
                       extra_shapes=((parameters,), (veil_grid, veil_grid)))
    return dataset.map(lambda b, c, n, d, v, step: {"blurry": b, "clear": c, "noise": n, "draws": d,
                                                     "veil_field": v, "step": step})


def unpaired_batches(blurry: CropSampler, clear: CropSampler, *, seed: int, batch: int,
                     start_step: int, steps: int):
    """Batches of unrelated blurry and clear crops for unpaired (CycleGAN) training.

    Parameters
    ----------
    blurry, clear : CropSampler
        Samplers of single-image groups, one per domain.
    seed : int
        The run's seed.
    batch : int
        Crops per step (global batch).
    start_step, steps : int
        The dataset covers steps ``start_step`` to ``steps - 1``.

    Returns
    -------
    tf.data.Dataset
        Elements ``{"blurry": (batch, crop, crop, 1), "clear": (...), "step": (batch,)}``.
    """
    if blurry.crop != clear.crop:
        raise ValueError("both samplers need the same crop size")

    def make_example(index):
        rng = np.random.default_rng([seed, index])
        return blurry.sample(rng)[0], clear.sample(rng)[0]

    dataset = _batches(make_example, 2, blurry.crop, batch=batch, start_step=start_step, steps=steps)
    return dataset.map(lambda b, c, step: {"blurry": b, "clear": c, "step": step})


def paired_batches(pairs: CropSampler, *, seed: int, batch: int, start_step: int, steps: int):
    """Batches of aligned (blurry, sharp) crops for supervised training.

    ``pairs`` holds ``(blurry, sharp)`` groups; both get the same crop and
    augmentation. Elements are ``(blurry, sharp)`` tuples of
    ``(batch, crop, crop, 1)``, as ``keras.Model.fit`` expects.
    """

    def make_example(index):
        return pairs.sample(np.random.default_rng([seed, index]))

    dataset = _batches(make_example, 2, pairs.crop, batch=batch, start_step=start_step, steps=steps)
    return dataset.map(lambda b, s, step: (b, s))


def centre_crops(images: list[np.ndarray], size: int, count: int) -> np.ndarray:
    """Centre crops of the first ``count`` images, ``(n, size, size, 1)`` float32 (for previews)."""
    crops = []
    for image in images[:count]:
        image = _pad_to(image, size)
        top, left = (image.shape[0] - size) // 2, (image.shape[1] - size) // 2
        crops.append(image[top:top + size, left:left + size])
    return np.stack(crops)[..., np.newaxis].astype(np.float32)
