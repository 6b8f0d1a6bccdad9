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

__all__ = ["paired_batches", "unpaired_batches"]


def _batches(make_example, count: int, crop: int, *, batch: int, start_step: int, steps: int):
    """A dataset of batches of ``count`` crops per example, for steps ``start_step..steps-1``.

    ``make_example(index)`` returns ``count`` arrays ``(crop, crop)``.
    """
    from cyclesem.backend import require_tensorflow

    tf = require_tensorflow()

    def numpy_example(index):
        return make_example(int(index))

    def tf_example(index):
        crops = tf.numpy_function(numpy_example, [index], [tf.float32] * count, stateful=False)
        crops = [tf.ensure_shape(c, (crop, crop))[..., tf.newaxis] for c in crops]
        return (*crops, index // batch)

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
