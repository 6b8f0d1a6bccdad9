"""Self-ensembles: one network applied to transformed copies of its input, the results mapped back and averaged.

:func:`flip_ensemble` averages a network over the four flips of its input
(identity, left-right, up-down, both), each output flipped back: the geometric
self-ensemble of Timofte et al. (2016, "Seven ways to improve example-based
single image super resolution") and Lim et al. (2017, EDSR), restricted to
flips so that any height and width keep their shape. What differs between
the flips averages away, such as the faint grid a network's up-sampling leaves on
real defocused images (see ``experiments/README.md``, "Pretrained models").

The result is a plain functional :class:`keras.Model` sharing the network's
weights, with only registered layers, so it saves to ``.keras`` and loads in
safe mode like the network itself.
"""

from __future__ import annotations

import keras
from keras import layers, ops

__all__ = ["Flip", "flip_ensemble"]

_SERIALIZABLE = keras.saving.register_keras_serializable(package="cyclesem")


@_SERIALIZABLE
class Flip(layers.Layer):
    """Reverse a ``(batch, height, width, channels)`` tensor along height (1), width (2) or both.

    Parameters
    ----------
    axes : tuple of int
        The axes to reverse, among 1 and 2.
    """

    def __init__(self, axes=(2,), **kwargs):
        super().__init__(**kwargs)
        self.axes = tuple(int(axis) for axis in axes)
        if not self.axes or not set(self.axes) <= {1, 2}:
            raise ValueError(f"axes must be among 1 and 2, got {self.axes}")

    def call(self, inputs):
        for axis in self.axes:
            inputs = ops.flip(inputs, axis=axis)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axes": list(self.axes)}


def flip_ensemble(network: keras.Model, name: str | None = None) -> keras.Model:
    """The mean of ``network`` over the four flips of its input, each output flipped back.

    Parameters
    ----------
    network : keras.Model
        Takes and returns ``(batch, height, width, channels)`` images of one shape.
    name : str, optional
        The ensemble model's name (``network.name + "_flip_ensemble"`` by default).

    Returns
    -------
    keras.Model
        Same input and output as ``network``; four calls of it per input.
    """
    image = keras.Input(shape=network.input_shape[1:], name="image")
    outputs = [network(image)]
    for axes in ((1,), (2,), (1, 2)):
        flip = Flip(axes, name=f"flip_{'_'.join(map(str, axes))}")
        unflip = Flip(axes, name=f"unflip_{'_'.join(map(str, axes))}")
        outputs.append(unflip(network(flip(image))))
    mean = layers.Average(name="flip_mean")(outputs)
    return keras.Model(image, mean, name=name or f"{network.name}_flip_ensemble")
