"""Custom Keras layers shared by cyclesem's networks, registered for safe loading.

Every layer here is written with :mod:`keras.ops` only (portable to JAX) and
registered with ``keras.saving.register_keras_serializable(package="cyclesem")``,
so exported ``.keras`` files load with ``safe_mode=True`` (no ``Lambda``).

Instance normalisation and tiled enhancement
--------------------------------------------
CycleGAN generators use instance normalisation: each image's feature maps are
normalised by their own mean and variance. Applied to tiles of a huge image,
per-tile statistics make tiles disagree (seams, and tiled output != whole-image
output), and the output of one pixel depends on everything in the tile.

:class:`InstanceNormalization` therefore behaves like batch normalisation's
train/inference split:

- ``training=True``: per-instance, per-channel statistics over height and width,
  exactly :class:`keras.layers.GroupNormalization` with ``groups=-1``; the layer
  also keeps moving averages of those per-instance means and variances.
- ``training=False``: the moving averages are used, so the layer is a fixed
  per-channel affine map.

An exported generator (called with ``training=False``) is thus a
translation-equivariant fully convolutional network: tiling is exact for pixels
farther than the receptive field from a tile's border. The moving averages start
as a cumulative mean (decay ``min(momentum, n / (n + 1))`` after ``n`` updates),
so they are meaningful after the first training step. Inside
:func:`frozen_statistics` training-mode calls normalise per instance but leave
the moving averages alone: the CycleGAN step uses it so that each generator's
statistics come from the real images of its input domain only.
"""

from __future__ import annotations

import contextlib

import keras
from keras import layers, ops

__all__ = [
    "BoundedResidual",
    "CropToMatch",
    "InstanceNormalization",
    "ReflectPadToMultiple",
    "dtype_policy_scope",
    "frozen_statistics",
]

_SERIALIZABLE = keras.saving.register_keras_serializable(package="cyclesem")


def _reflect_indices(size, padded_size):
    """Indices ``0..padded_size-1`` folded back into ``0..size-1`` by reflection."""
    index = ops.arange(padded_size, dtype="int32")
    period = ops.maximum(2 * size - 2, 1)
    folded = index % period
    return ops.where(folded >= size, period - folded, folded)


@_SERIALIZABLE
class ReflectPadToMultiple(layers.Layer):
    """Reflect-pad height and width at the bottom/right up to a multiple.

    Works for any size, even images smaller than the padding (the reflection
    repeats), by gathering reflected row and column indices.

    Parameters
    ----------
    multiple : int
        Height and width become the next multiple of this (16 for four
        stride-2 stages).
    """

    def __init__(self, multiple: int, **kwargs):
        super().__init__(**kwargs)
        self.multiple = int(multiple)

    def call(self, inputs):
        shape = ops.shape(inputs)
        padded = inputs
        for axis in (1, 2):
            size = shape[axis]
            # ceil without the modulo of a negative number: tf2onnx turns that
            # FloorMod into a truncating Mod, which pads 45 to 32 instead of 48
            target = (size + self.multiple - 1) // self.multiple * self.multiple
            padded = ops.take(padded, _reflect_indices(size, target), axis=axis)
        return padded

    def compute_output_shape(self, input_shape):
        def grow(size):
            return None if size is None else -(-size // self.multiple) * self.multiple

        return (input_shape[0], grow(input_shape[1]), grow(input_shape[2]), input_shape[3])

    def get_config(self):
        return {**super().get_config(), "multiple": self.multiple}


@_SERIALIZABLE
class CropToMatch(layers.Layer):
    """Crop the first input's height and width (top-left) to the second input's."""

    def call(self, inputs):
        image, reference = inputs
        height, width = ops.shape(reference)[1], ops.shape(reference)[2]
        return image[:, :height, :width, :]

    def compute_output_shape(self, input_shape):
        image, reference = input_shape
        return (image[0], reference[1], reference[2], image[3])


@_SERIALIZABLE
class BoundedResidual(layers.Layer):
    """``image + scale * tanh(residual)``: the output differs from the input by less than ``scale``.

    Parameters
    ----------
    scale : float
        Largest change the residual can make (in normalised intensity units).
    """

    def __init__(self, scale: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = float(scale)

    def call(self, inputs):
        image, residual = inputs
        residual = ops.cast(residual, image.dtype)
        return image + self.scale * ops.tanh(residual)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


@_SERIALIZABLE
class InstanceNormalization(layers.Layer):
    """Instance normalisation with moving statistics for inference.

    See the module docstring for why. Statistics are computed in float32 even
    under a ``mixed_float16`` policy.

    Parameters
    ----------
    epsilon : float
        Added to the variance (GroupNormalization's default, 1e-3).
    momentum : float
        Decay of the moving averages (after the first ``1 / (1 - momentum)``
        updates, which are averaged cumulatively).
    """

    def __init__(self, epsilon: float = 1e-3, momentum: float = 0.99, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)
        self.momentum = float(momentum)
        self.update_statistics = True
        self.supports_masking = True

    def build(self, input_shape):
        channels = (input_shape[-1],)

        def stat(name, initializer):
            return self.add_weight(
                shape=channels, name=name, initializer=initializer,
                trainable=False, autocast=False, aggregation="mean",
            )

        self.gamma = self.add_weight(shape=channels, name="gamma", initializer="ones", autocast=False)
        self.beta = self.add_weight(shape=channels, name="beta", initializer="zeros", autocast=False)
        self.moving_mean = stat("moving_mean", "zeros")
        self.moving_variance = stat("moving_variance", "ones")
        self.num_updates = self.add_weight(
            shape=(), name="num_updates", initializer="zeros",
            trainable=False, autocast=False, aggregation="only_first_replica",
        )

    def call(self, inputs, training=None):
        values = ops.cast(inputs, "float32")
        if training:
            mean = ops.mean(values, axis=(1, 2), keepdims=True)
            centred = values - mean
            variance = ops.mean(ops.square(centred), axis=(1, 2), keepdims=True)
            if self.update_statistics:
                self._update_moving_statistics(mean, variance)
        else:
            centred = values - self.moving_mean
            variance = self.moving_variance
        scale = ops.rsqrt(variance + self.epsilon) * self.gamma
        return ops.cast(centred * scale + self.beta, self.compute_dtype)

    def _update_moving_statistics(self, mean, variance):
        count = self.num_updates.value
        decay = ops.minimum(self.momentum, count / (count + 1.0))
        for moving, batch in ((self.moving_mean, mean), (self.moving_variance, variance)):
            batch_value = ops.mean(batch, axis=(0, 1, 2))
            moving.assign(batch_value + (moving.value - batch_value) * decay)
        self.num_updates.assign(count + 1.0)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "momentum": self.momentum}


def _all_layers(model):
    """``model`` and every layer nested in it."""
    found = [model]
    for layer in getattr(model, "layers", []):
        found.extend(_all_layers(layer))
    return found


@contextlib.contextmanager
def frozen_statistics(model):
    """Within the block, training-mode calls of ``model`` leave moving statistics unchanged.

    Instance statistics are still used to normalise; only the moving averages
    of :class:`InstanceNormalization` layers are not updated. The flag is read
    when the call is traced, so it works inside ``tf.function`` and XLA.
    """
    norms = [layer for layer in _all_layers(model) if isinstance(layer, InstanceNormalization)]
    previous = [layer.update_statistics for layer in norms]
    for layer in norms:
        layer.update_statistics = False
    try:
        yield model
    finally:
        for layer, flag in zip(norms, previous):
            layer.update_statistics = flag


@contextlib.contextmanager
def dtype_policy_scope(name: str | None):
    """Build layers under dtype policy ``name`` (``None``: the current one), then restore the policy.

    For networks whose blocks create their own sub-layers (MIDNet), where
    passing ``dtype`` to every layer would not reach them.
    """
    previous = keras.config.dtype_policy()
    if name is not None:
        keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
