"""``tf.data`` pipelines of training batches, for unpaired and paired training.

Training crops (:class:`~cyclesem.data.crops.CropSampler`) are a **pure
function of (seed, step)**: example ``k`` of step ``s`` is drawn from ``numpy.random.default_rng([seed, s * batch + k])``, which
picks an image (with probability proportional to its area, so every pixel is
equally likely), a crop position (images smaller than the crop are
reflect-padded), and one of the eight flips / 90-degree rotations. Resuming a
run at step ``s`` therefore replays exactly the data a straight run would see.

Crops are made in a parallel ``tf.data`` map and prefetched, so the CPU
prepares the next batches while the network trains.
"""

from __future__ import annotations

import numpy as np

from cyclesem.data.crops import CropSampler

__all__ = ["degradation_draws", "paired_batches", "physical_unpaired_batches", "unpaired_batches"]


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
