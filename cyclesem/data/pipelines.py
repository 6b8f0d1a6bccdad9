"""Pipelines of training batches (``tf.data``, or numpy under JAX), for unpaired and paired training.

Training crops (:class:`~cyclesem.data.crops.CropSampler`) are a **pure
function of (seed, step)**: example ``k`` of step ``s`` is drawn from ``numpy.random.default_rng([seed, s * batch + k])``, which
picks an image (with probability proportional to its area, so every pixel is
equally likely), a crop position (images smaller than the crop are
reflect-padded), and one of the eight flips / 90-degree rotations. Resuming a
run at step ``s`` therefore replays exactly the data a straight run would see.

Under the TensorFlow backend crops are made in a parallel ``tf.data`` map and
prefetched, so the CPU prepares the next batches while the network trains.
Under any other Keras backend (JAX) the same examples are stacked into numpy
batches by a :class:`keras.utils.PyDataset` (:class:`NumpyBatches`), and
TensorFlow is never imported.
"""

from __future__ import annotations

import numpy as np

from cyclesem.data.crops import CropSampler

__all__ = ["NumpyBatches", "degradation_draws", "paired_batches", "physical_unpaired_batches", "unpaired_batches"]


def _batches(make_example, count: int, crop: int, *, batch: int, start_step: int, steps: int,
             extra_shapes: tuple = ()):
    """A dataset of batches of ``count`` crops per example, for steps ``start_step..steps-1``.

    ``make_example(index)`` returns ``count`` arrays ``(crop, crop)``, then one
    float32 array of each shape in ``extra_shapes``. Elements are tuples of
    ``count`` crop batches ``(batch, crop, crop, 1)``, the extras and the step
    of each example ``(batch,)``.
    """
    from cyclesem.backend import keras_backend, require_tensorflow

    if keras_backend() != "tensorflow":
        return NumpyBatches(make_example, count, batch=batch, start_step=start_step, steps=steps)
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


def _numpy_batches_class():
    import keras

    class _NumpyBatches(keras.utils.PyDataset):
        def __init__(self, make_example, count: int, *, batch: int, start_step: int, steps: int,
                     transform=None):
            super().__init__()
            self.make_example, self.count, self.batch = make_example, count, batch
            self.start_step, self.steps, self.transform = start_step, max(steps, start_step), transform

        def __len__(self) -> int:
            return self.steps - self.start_step

        def __getitem__(self, position: int):
            step = self.start_step + int(position)
            examples = [self.make_example(step * self.batch + k) for k in range(self.batch)]
            columns = [np.stack([np.asarray(e[i], np.float32) for e in examples])
                       for i in range(len(examples[0]))]
            crops = [column[..., np.newaxis] for column in columns[:self.count]]
            element = (*crops, *columns[self.count:], np.full(self.batch, step, np.int64))
            return self.transform(*element) if self.transform else element

        def map(self, transform):
            """The same batches, each passed through ``transform(*element)`` (as ``tf.data``'s ``map``)."""
            return type(self)(self.make_example, self.count, batch=self.batch, start_step=self.start_step,
                              steps=self.steps, transform=transform)

    return _NumpyBatches


def NumpyBatches(make_example, count: int, *, batch: int, start_step: int, steps: int):  # noqa: N802
    """Numpy batches for steps ``start_step .. steps - 1`` as a :class:`keras.utils.PyDataset`.

    Item ``i`` is step ``start_step + i``: the same elements as the ``tf.data``
    pipeline, built from the same ``make_example(index)``, so a run is the same
    pure function of (seed, step) under every backend. ``.map(f)`` applies
    ``f(*element)`` to each batch.
    """
    return _numpy_batches_class()(make_example, count, batch=batch, start_step=start_step, steps=steps)


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
